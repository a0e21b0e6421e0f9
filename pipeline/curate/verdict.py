"""The shape every curation check shares: a rule looks at a record and either passes it
(None) or names a stable reason code with its evidence."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pipeline.records import Record


@dataclass(frozen=True)
class Verdict:
    reason: str  # stable code, e.g. "blacklist:image", "refusal"
    evidence: dict[str, Any]


ConfigT = TypeVar("ConfigT")


@dataclass(frozen=True)
class Rule(Generic[ConfigT]):
    name: str
    check: Callable[[Record, ConfigT], Verdict | None]


def first_violation(record: Record, config: ConfigT, rules: tuple[Rule[ConfigT], ...]) -> Verdict | None:
    for rule in rules:
        verdict = rule.check(record, config)
        if verdict is not None:
            return Verdict(verdict.reason, {"rule": rule.name, **verdict.evidence})
    return None
