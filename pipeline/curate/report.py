"""What a curation run did: counts per step and reason, PII found, and a few examples of
every reason, so a person can judge each rule from the report alone."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from pipeline.records import RejectedRecord

EXAMPLES_PER_REASON = 3
_EXAMPLE_CHARS = 240


@dataclass
class CurationReport:
    steps: tuple[str, ...] = ()
    seen: int = 0
    kept: int = 0
    by_step: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    examples: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    pii_found: Counter[str] = field(default_factory=Counter)
    pii_records: int = 0
    pii_redacted: int = 0
    references: Counter[str] = field(default_factory=Counter)
    seconds: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))

    @property
    def rejected(self) -> int:
        return sum(sum(reasons.values()) for reasons in self.by_step.values())

    def add_rejection(self, rejected: RejectedRecord, text: str) -> None:
        self.by_step[rejected.step][rejected.reason] += 1
        examples = self.examples[rejected.reason]
        if len(examples) < EXAMPLES_PER_REASON:
            examples.append(
                {
                    "id": rejected.record.get("id"),
                    "text": text[:_EXAMPLE_CHARS],
                    "evidence": rejected.evidence,
                }
            )

    def as_dict(self) -> dict[str, Any]:
        return {
            "steps": list(self.steps),
            "counts": {"input": self.seen, "kept": self.kept, "rejected": self.rejected},
            "rejected_by_step": {step: sum(reasons.values()) for step, reasons in self.by_step.items()},
            "rejected_by_reason": dict(
                sorted(
                    Counter({r: n for reasons in self.by_step.values() for r, n in reasons.items()}).items()
                )
            ),
            "reasons_by_step": {
                step: dict(sorted(reasons.items())) for step, reasons in self.by_step.items()
            },
            "pii": {
                "records_with_pii": self.pii_records,
                "records_redacted": self.pii_redacted,
                "found_by_type": dict(sorted(self.pii_found.items())),
            },
            "references": dict(self.references),
            "seconds_by_step": {step: round(value, 3) for step, value in self.seconds.items()},
            "examples": {reason: items for reason, items in sorted(self.examples.items())},
        }


def summary_lines(summary: dict[str, Any]) -> list[str]:
    """A curation summary (`curate_file`'s) as the lines the CLI prints and the flow publishes."""
    counts = summary["counts"]
    lines = [
        f"curated {counts['input']} records: kept {counts['kept']}, "
        f"rejected {counts['rejected']} -> {summary['output']}"
    ]
    for step, reasons in summary["reasons_by_step"].items():
        listed = ", ".join(f"{reason} {n}" for reason, n in reasons.items())
        lines.append(f"  {step:<14} {listed}")
    pii = summary["pii"]
    if pii["records_with_pii"]:
        found = ", ".join(f"{kind} {n}" for kind, n in pii["found_by_type"].items())
        redacted = pii["records_redacted"]
        lines.append(f"  pii            {pii['records_with_pii']} records ({found}), {redacted} redacted")
    if "index" in summary:
        committed = summary["index"].get("committed", {})
        lines.append(
            f"  index          {summary['index']['location']}: "
            f"{len(summary['index']['earlier_builds'])} earlier builds, "
            f"added {committed.get('entries', 0)} as {committed.get('name')}"
        )
    return lines
