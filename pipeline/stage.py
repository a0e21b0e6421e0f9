"""The shape every stage shares: what a stage's `build` returns.

A stage is a plain function over records with its own config model (next to it, in its
package) and one `build(...)` entry point that both the CLI command and the Prefect flow call.
`build` returns a `StageResult`: the records kept, the records rejected (each with its reason
code and evidence), what the LLM cost (when the stage asks one), why it stopped, and counters
for its report. Reports and flows read this object; nothing passes stage results as dicts.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from pipeline.llm.step import LLMUsage
from pipeline.records import RejectedRecord

RecordT = TypeVar("RecordT")

# why a stage stopped; stable codes shown in reports (and llm.request.BUDGET_EXHAUSTED)
TARGET_REACHED = "target_reached"
MAX_REQUESTS = "max_requests"
INPUT_EXHAUSTED = "input_exhausted"  # nothing left to work on (every entry done, every record read)
QUOTA_FILLED = "quota_filled"  # every category a build may make has reached its quota


@dataclass
class StageResult(Generic[RecordT]):
    stage: str
    kept: list[RecordT] = field(default_factory=list)
    rejected: list[RejectedRecord] = field(default_factory=list)
    usage: LLMUsage = field(default_factory=LLMUsage)
    stop_reason: str = ""
    counts: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    def rejected_by_reason(self) -> Counter[str]:
        return Counter(rejected.reason for rejected in self.rejected)

    def summary(self) -> str:
        """One line for terminals and logs."""
        reasons = ", ".join(f"{reason} {count}" for reason, count in self.rejected_by_reason().most_common(3))
        line = f"{self.stage}: {len(self.kept)} kept, {len(self.rejected)} rejected" + (
            f" ({reasons})" if reasons else ""
        )
        if self.usage.requests:
            line += (
                f"; {self.usage.requests} requests ({self.usage.requests_sent} HTTP attempts with retries, "
                f"{self.usage.journal_hits} from the journal)"
            )
        if self.usage.requests_sent:
            line += f"; {self.usage.cost_text()}"  # `cost unknown` for a model with no price
        if self.stop_reason:
            line += f"; stopped: {self.stop_reason}"
        return line + f"; {self.seconds:.1f} s"
