"""`score_records`: every record rated once through the journaled client; those under the bar
dropped with their score as evidence, the others kept with it in `lineage.quality`.

A record whose answer holds no usable score (quarantined, cut off, unparseable, out of range,
or a spent budget) is kept unscored and counted by reason: an unreadable judge answer is never
a reason to drop data."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

from pipeline.llm.request import BUDGET_EXHAUSTED
from pipeline.llm.step import Rejection, StepRunner
from pipeline.records import AlpacaRecord, DialogueRecord, QualityScore, RejectedRecord
from pipeline.score.config import ScoreConfig
from pipeline.score.consistency import Consistency, Scored, check_consistency
from pipeline.score.report import ScoreReport
from pipeline.score.rubric import BUILTIN_RUBRIC, Rubric, load_rubric
from pipeline.score.step import QualityScoreStep
from pipeline.stage import INPUT_EXHAUSTED, StageResult

STAGE = "score"
LOW_SCORE = "low_quality_score"

# Alpaca records, dialogues or both: the outcome holds what it was given
RecordT = TypeVar("RecordT", bound=AlpacaRecord | DialogueRecord)


@dataclass(frozen=True)
class UnscoredRecord(Generic[RecordT]):
    """A record kept without a score, and why its answer could not be used."""

    record: RecordT
    reason: str
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass
class ScoreOutcome(StageResult[RecordT]):
    """`kept`: records scored at or above the bar (`lineage.quality` set); `rejected`: scored
    below it; `unscored`: no usable answer, kept as they were. `records_out()` is what goes on."""

    stage: str = STAGE
    unscored: list[UnscoredRecord[RecordT]] = field(default_factory=list)
    consistency: Consistency = field(default_factory=Consistency)
    report: ScoreReport | None = None
    order: dict[str, int] = field(default_factory=dict, repr=False)  # record id -> input position

    def records_out(self) -> list[RecordT]:
        """Kept and unscored records together, in input order: the step's output."""
        out = self.kept + [item.record for item in self.unscored]
        return sorted(out, key=lambda record: self.order.get(record.id, len(self.order)))

    def unscored_by_reason(self) -> Counter[str]:
        return Counter(item.reason for item in self.unscored)

    def summary(self) -> str:
        line = super().summary()
        return line.replace(" kept,", f" kept, {len(self.unscored)} unscored (kept),", 1)


def with_quality(record: RecordT, quality: QualityScore) -> RecordT:
    """A copy of `record` whose lineage carries the score (the id, a hash of the text, stays)."""
    lineage = record.lineage.model_copy(update={"quality": quality})
    return cast(RecordT, record.model_copy(update={"lineage": lineage}))


def rubric_of(config: ScoreConfig) -> Rubric:
    return load_rubric(config.rubric) if config.rubric is not None else BUILTIN_RUBRIC


def score_records(
    records: Sequence[RecordT],
    config: ScoreConfig,
    runner: StepRunner,
    *,
    judge_model: str | None = None,
    embedded: bool | None = None,
    rubric: Rubric | None = None,
) -> ScoreOutcome[RecordT]:
    """Score `records` with the judge behind `runner` (its endpoint and journal; its LLM settings
    made greedy and seeded by `config`, so a rerun replays from the journal). The outcome's usage
    is this step's alone; it is also added to the runner's. `judge_model` and `embedded` default
    to the runner's endpoint; `rubric` to `config.rubric` (loaded) or the built-in one."""
    started = time.monotonic()
    rubric = rubric or rubric_of(config)  # a bad rubric file fails before any request
    own = StepRunner(runner.endpoint, config.greedy(runner.llm), runner.journal, progress=runner.progress)
    try:
        return _score(records, config, own, rubric, judge_model, embedded, started)
    finally:
        runner.usage.merge(own.usage)
        runner.stats.merge(own.stats)


def _score(
    records: Sequence[RecordT],
    config: ScoreConfig,
    runner: StepRunner,
    rubric: Rubric,
    judge_model: str | None,
    embedded: bool | None,
    started: float,
) -> ScoreOutcome[RecordT]:
    model = judge_model if judge_model is not None else runner.endpoint.model
    is_embedded = embedded if embedded is not None else runner.endpoint.embedded
    step = QualityScoreStep(model, rubric, answer_chars=config.answer_chars)
    outcome: ScoreOutcome[RecordT] = ScoreOutcome(
        usage=runner.usage, order={r.id: n for n, r in enumerate(records)}
    )
    output = runner.run(step, records)
    scored: list[Scored] = []
    for record, quality in output.parsed:
        scored.append((record, quality))
        marked = with_quality(record, quality)
        if quality.score >= config.min_score:
            outcome.kept.append(marked)
            continue
        evidence = {
            "score": quality.score,
            "reason": quality.reason,
            "min_score": config.min_score,
            "judge": model,
            "rubric": rubric.tag,
        }
        outcome.rejected.append(
            RejectedRecord(
                record=marked.model_dump(mode="json"), step=STAGE, reason=LOW_SCORE, evidence=evidence
            )
        )
    outcome.unscored = [_unscored(record, rejection) for record, rejection in output.rejected]
    outcome.consistency = check_consistency(
        runner, step, scored, sample=config.consistency_sample, seed=config.seed
    )
    outcome.stop_reason = BUDGET_EXHAUSTED if runner.usage.budget_exhausted else INPUT_EXHAUSTED
    outcome.counts.update(scored=len(scored), unscored=len(outcome.unscored))
    outcome.counts.update(f"score_{quality.score}" for _, quality in scored)
    outcome.report = ScoreReport(
        judge=model,
        embedded=is_embedded,
        rubric=rubric.tag,
        min_score=config.min_score,
        histogram=Counter(quality.score for _, quality in scored),
        kept=len(outcome.kept),
        dropped=len(outcome.rejected),
        unscored=outcome.unscored_by_reason(),
        consistency=outcome.consistency,
        usage=runner.usage,
        endpoint=runner.endpoint.base_url,
    )
    outcome.seconds = time.monotonic() - started
    return outcome


def _unscored(record: RecordT, rejection: Rejection) -> UnscoredRecord[RecordT]:
    return UnscoredRecord(record, rejection.reason, dict(rejection.evidence))
