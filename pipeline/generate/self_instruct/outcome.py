"""What one self-instruct batch brings back to the loop, and how its steps count what they could
not use."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pipeline.llm.step import LLMUsage, Rejection
from pipeline.records import AlpacaRecord, RejectedRecord


@dataclass
class BatchOutcome:
    records: list[AlpacaRecord] = field(default_factory=list)
    usage: LLMUsage = field(default_factory=LLMUsage)
    failures: Counter[str] = field(default_factory=Counter)  # "step:reason" of unusable answers
    rejected: list[RejectedRecord] = field(default_factory=list)  # instructions screened out
    counts: Counter[str] = field(default_factory=Counter)
    budget_exhausted: bool = False

    @property
    def requests(self) -> int:
        return self.usage.requests

    def absorb(self, part: BatchOutcome) -> None:
        """Add one task's share of the batch (its usage is already in the batch's: the steps of
        every task count into one tally)."""
        self.records.extend(part.records)
        self.failures.update(part.failures)
        self.rejected.extend(part.rejected)
        self.counts.update(part.counts)
        self.budget_exhausted |= part.budget_exhausted


def count_failures(
    failures: Counter[str], step: str, rejected: list[tuple[Any, Rejection]], salvaged: int = 0
) -> None:
    failures.update(f"{step}:{rejection.reason}" for _, rejection in rejected)
    if salvaged:
        failures[f"{step}:salvaged_from_invalid_answer"] += salvaged
