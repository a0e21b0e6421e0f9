"""The scored quality step inside a generation run: each batch's kept records are scored as they
arrive, so the run's target counts records that passed the judge; the bias check runs once, at
the end, over everything scored."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TypeVar

from pipeline.llm.step import LLMUsage, StepRunner
from pipeline.records import AlpacaRecord, DialogueRecord, QualityScore, RejectedRecord
from pipeline.score.config import ScoreConfig
from pipeline.score.consistency import Scored, check_consistency
from pipeline.score.report import ScoreReport
from pipeline.score.rubric import Rubric
from pipeline.score.run import score_records
from pipeline.score.step import QualityScoreStep

RecordT = TypeVar("RecordT", bound=AlpacaRecord | DialogueRecord)


@dataclass
class BatchScorer:
    """Call it with a batch's kept records; it returns those that stay (scored at or above the bar,
    or unscored) and the ones it dropped. `usage` is what scoring cost so far."""

    config: ScoreConfig
    runner: StepRunner  # the judge's endpoint and journal
    rubric: Rubric
    usage: LLMUsage = field(default_factory=LLMUsage)
    scored: list[Scored] = field(default_factory=list)
    unscored: Counter[str] = field(default_factory=Counter)
    kept: int = 0
    dropped: int = 0

    def __call__(self, records: list[RecordT]) -> tuple[list[RecordT], list[RejectedRecord]]:
        if not records:
            return [], []
        per_batch = self.config.model_copy(update={"consistency_sample": 0})
        outcome = score_records(records, per_batch, self.runner, rubric=self.rubric)
        self.usage.merge(outcome.usage)
        self.kept += len(outcome.kept)
        self.dropped += len(outcome.rejected)
        self.unscored.update(outcome.unscored_by_reason())
        self.scored += [(record, _quality(record)) for record in outcome.kept]
        for rejected in outcome.rejected:
            record = type(records[0]).model_validate(rejected.record)
            self.scored.append((record, _quality(record)))
        return outcome.records_out(), list(outcome.rejected)

    def finish(self) -> ScoreReport:
        """The bias check over every scored record, and the step's report."""
        endpoint = self.runner.endpoint
        step = QualityScoreStep(endpoint.model, self.rubric, answer_chars=self.config.answer_chars)
        greedy = StepRunner(endpoint, self.config.greedy(self.runner.llm), self.runner.journal)
        consistency = check_consistency(
            greedy, step, self.scored, sample=self.config.consistency_sample, seed=self.config.seed
        )
        self.usage.merge(greedy.usage)
        return ScoreReport(
            judge=endpoint.model,
            embedded=endpoint.embedded,
            rubric=self.rubric.tag,
            min_score=self.config.min_score,
            histogram=Counter(quality.score for _, quality in self.scored),
            kept=self.kept,
            dropped=self.dropped,
            unscored=self.unscored,
            consistency=consistency,
            usage=self.usage,
            endpoint=endpoint.base_url,
        )


def _quality(record: AlpacaRecord | DialogueRecord) -> QualityScore:
    assert record.lineage.quality is not None  # scored records carry their score
    return record.lineage.quality
