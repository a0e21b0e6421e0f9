"""`ScoreReport`: what the scored quality step did, as a Markdown section and a dict."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pipeline.llm.step import LLMUsage
from pipeline.score.consistency import Consistency

WEAK_JUDGE = (
    "the embedded 135M judge is weak: treat its scores as a rough signal; "
    "the structural checks carry the embedded demo"
)
POSITION_WARNING_DELTA = 1.0  # mean |Δscore| from which the order alone moves scores
LENGTH_WARNING_RHO = 0.5  # |ρ| from which the length alone predicts the score
WARNING_MIN_RECORDS = 5  # fewer pairs or records than this say too little to warn about


def _percent(share: float | None) -> str:
    return "n/a" if share is None else f"{share:.0%}"


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


@dataclass
class ScoreReport:
    judge: str  # the judge model's name
    embedded: bool
    rubric: str  # name@version, or the built-in rubric's
    min_score: int
    histogram: Counter[int] = field(default_factory=Counter)  # records per score 1-5
    kept: int = 0
    dropped: int = 0
    unscored: Counter[str] = field(default_factory=Counter)  # records per reason
    consistency: Consistency = field(default_factory=Consistency)
    usage: LLMUsage = field(default_factory=LLMUsage)
    endpoint: str | None = None

    @property
    def scored(self) -> int:
        return sum(self.histogram.values())

    @property
    def mean_score(self) -> float | None:
        total = self.scored
        return sum(score * n for score, n in self.histogram.items()) / total if total else None

    def warnings(self) -> list[str]:
        """Plain sentences about how far to trust the scores."""
        notes = []
        if self.embedded:
            notes.append(f"Note: {WEAK_JUDGE}.")
        delta = self.consistency.mean_abs_delta
        enough_pairs = self.consistency.compared >= WARNING_MIN_RECORDS
        if delta is not None and delta >= POSITION_WARNING_DELTA and enough_pairs:
            notes.append(
                f"Position bias: showing the output first moved scores by {delta:.2f} on average; "
                "the scores depend on the layout as much as on the record."
            )
        rho = self.consistency.length_spearman
        enough_records = self.consistency.length_records >= WARNING_MIN_RECORDS
        if rho is not None and abs(rho) >= LENGTH_WARNING_RHO and enough_records:
            notes.append(
                f"Verbosity bias: the score follows the output's length (Spearman ρ {rho:.2f}); "
                "check that long answers are really better."
            )
        return notes

    def as_dict(self) -> dict[str, Any]:
        c = self.consistency
        return {
            "judge": self.judge,
            "endpoint": self.endpoint,
            "embedded": self.embedded,
            "rubric": self.rubric,
            "min_score": self.min_score,
            "scored": self.scored,
            "kept": self.kept,
            "dropped": self.dropped,
            "unscored": dict(self.unscored.most_common()),
            "histogram": {str(score): self.histogram.get(score, 0) for score in range(1, 6)},
            "mean_score": self.mean_score,
            "consistency": {
                "sampled": c.sampled,
                "compared": c.compared,
                "unreadable": c.unreadable,
                "mean_abs_delta": c.mean_abs_delta,
                "share_identical": c.share_identical,
                "share_within_1": c.share_within_1,
                "length_spearman": c.length_spearman,
                "length_records": c.length_records,
            },
            "warnings": self.warnings(),
            "usage": self.usage.as_dict(),
        }

    def markdown(self) -> str:
        c = self.consistency
        where = f" at {self.endpoint}" if self.endpoint else ""
        unscored = sum(self.unscored.values())
        lines = [
            "## Quality scores",
            "",
            f"Judge `{self.judge}`{where}{' (embedded)' if self.embedded else ''}, rubric "
            f"`{self.rubric}`; records scored below {self.min_score} are dropped.",
            "",
            f"- scored: {self.scored} (mean {_number(self.mean_score)}); kept {self.kept}, "
            f"dropped {self.dropped}",
            f"- unscored (kept without a score): {unscored}"
            + (
                " (" + ", ".join(f"{reason} {n}" for reason, n in self.unscored.most_common()) + ")"
                if unscored
                else ""
            ),
            f"- requests: {self.usage.requests} ({self.usage.requests_sent} HTTP attempts with retries, "
            f"{self.usage.journal_hits} from the journal)",
            "",
            "| score | records |",
            "| ---: | ---: |",
            *(f"| {score} | {self.histogram.get(score, 0)} |" for score in range(5, 0, -1)),
            "",
            "### Bias checks",
            "",
            f"- position: {c.sampled} scored records asked again with the output shown first, "
            f"{c.compared} compared ({c.unreadable} unreadable): mean |Δscore| {_number(c.mean_abs_delta)}, "
            f"identical {_percent(c.share_identical)}, within 1 {_percent(c.share_within_1)}",
            f"- verbosity: Spearman ρ between score and output length {_number(c.length_spearman)} "
            f"over {c.length_records} scored records",
        ]
        notes = self.warnings()
        if notes:
            lines += [""] + [f"> {note}" for note in notes]
        return "\n".join(lines) + "\n"
