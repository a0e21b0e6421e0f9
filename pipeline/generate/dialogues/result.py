"""What the dialogue stage returns: the run (a `StageResult` with per-entry counters) and the
build around it, and the one place the build's JSON report is assembled."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pipeline.generate.dialogues.config import DialogueConfig
from pipeline.generate.dialogues.coverage import Coverage
from pipeline.generate.dialogues.curation import DialogueCuration
from pipeline.generate.dialogues.records import DialogueOut
from pipeline.records import RejectedRecord
from pipeline.stage import StageResult

STAGE = "dialogues"


@dataclass
class DialogueRun(StageResult[DialogueOut]):
    stage: str = STAGE
    attempts: Counter[str] = field(default_factory=Counter)  # per entry id
    kept_per_entry: Counter[str] = field(default_factory=Counter)
    with_safety_note: int = 0
    rounds: int = 0
    curation: DialogueCuration = field(default_factory=DialogueCuration)  # its steps and PII found

    @property
    def candidates(self) -> int:
        return sum(self.attempts.values())

    @property
    def grounded_rate(self) -> float | None:
        tried = self.candidates
        return round(len(self.kept) / tried, 3) if tried else None

    @property
    def safety_note_rate(self) -> float | None:
        return round(self.with_safety_note / len(self.kept), 3) if self.kept else None

    def figures(self) -> dict[str, Any]:
        """The run's part of the build report."""
        return {
            "attempted": self.candidates,
            "kept": len(self.kept),
            "rejected": dict(self.rejected_by_reason()),
            "rejected_by_step": dict(Counter(rejected.step for rejected in self.rejected)),
            "curation": self.curation.figures(),
            "grounded_rate": self.grounded_rate,
            "safety_note_rate": self.safety_note_rate,
            "rounds": self.rounds,
            "llm": self.usage.as_dict(),
        }


@dataclass
class DialogueBuild:
    """One incremental build over a stored KB; `run` is None when no entry was pending."""

    kb: str
    settings: DialogueConfig
    entries: int  # active entries in the KB
    pending: int  # entries this build wrote dialogues for
    coverage: Coverage
    outputs: dict[str, str]  # records, rejected, report: where they are written
    run: DialogueRun | None = None
    build_id: str | None = None
    model: str | None = None

    @property
    def kept(self) -> list[DialogueOut]:
        return self.run.kept if self.run else []

    @property
    def rejected(self) -> list[RejectedRecord]:
        return self.run.rejected if self.run else []

    @property
    def coverage_text(self) -> str:
        return self.coverage.render()

    def report(self) -> dict[str, Any]:
        """The build's JSON report (`OUT.report.json`, the flow's result)."""
        report: dict[str, Any] = {
            "kb": self.kb,
            "turns": self.settings.turns,
            "target": self.settings.target,
            "entries": self.entries,
            "pending": self.pending,
            "attempted": 0,
            "kept": 0,
            "grounded_rate": None,
        }
        if self.run is not None:
            report.update(build=self.build_id, model=self.model, **self.run.figures())
        report.update(coverage=self.coverage.as_dict(), outputs=self.outputs)
        return report
