"""score_records through the real client and journal, against scripted judges."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from pipeline.llm.journal import Journal
from pipeline.llm.step import StepRunner
from pipeline.records import Record
from pipeline.score.config import ScoreConfig
from pipeline.score.run import ScoreOutcome, score_records
from tests.score.judges import (
    FAST,
    alpaca,
    dialogue,
    judge_server,
    marker_judge,
    position_biased_judge,
    prompt_of,
    verbosity_judge,
)
from tests.support import faults
from tests.support.fault_server import FaultServer
from tests.support.llm_fixtures import endpoint_for


@contextmanager
def scoring(tmp_path: Path, responder: Any = marker_judge, **kw: Any) -> Iterator[tuple[FaultServer, Any]]:
    """A scripted judge and a function that scores records with it through one journal."""
    with judge_server(responder, **kw) as server:

        def run(records: list[Record], config: ScoreConfig, **options: Any) -> ScoreOutcome:
            with Journal(tmp_path / "journal.sqlite3") as journal:
                runner = StepRunner(endpoint_for(server), FAST, journal)
                outcome = score_records(records, config, runner, **options)
                assert runner.usage.requests == outcome.usage.requests  # added to the caller's
                return outcome

        yield server, run


RECORDS = [
    alpaca("Write a haiku about rain.", "GRADE5 Soft rain on the roof."),
    alpaca("Name a prime number.", "GRADE4 Seven."),
    alpaca("Translate 'cat'.", "GRADE2 Dog.", input="cat"),
    alpaca("Explain gravity.", "GRADE1 Bananas."),
    dialogue(("user", "My head hurts."), ("assistant", "GRADE3 Rest and drink water.")),
    alpaca("List two colours.", "UNREADABLE red and blue"),
    alpaca("用一句话介绍长城。", "GRADE4 长城是中国古代的军事防御工程。", language="zh"),
]


def test_scores_kept_on_records_low_scores_dropped_with_evidence(tmp_path: Path) -> None:
    with scoring(tmp_path) as (server, run):
        outcome = run(RECORDS, ScoreConfig(min_score=3, consistency_sample=0))
    kept = {record.id: record.lineage.quality for record in outcome.kept}
    assert list(kept) == [RECORDS[i].id for i in (0, 1, 4, 6)]  # ids are content hashes: unchanged
    assert [q.score for q in kept.values() if q] == [5, 4, 3, 4]
    first = outcome.kept[0].lineage.quality
    assert first is not None and first.judge == "m" and first.rubric == "seedforge-quality@1"
    assert first.reason == "graded 5"
    assert RECORDS[0].lineage.quality is None  # the input is not changed

    assert [(r.step, r.reason) for r in outcome.rejected] == [("score", "low_quality_score")] * 2
    assert outcome.rejected[0].evidence == {
        "score": 2,
        "reason": "graded 2",
        "min_score": 3,
        "judge": "m",
        "rubric": "seedforge-quality@1",
    }
    assert outcome.rejected[1].record["lineage"]["quality"]["score"] == 1

    # an unreadable answer keeps the record, unscored, counted by reason
    assert [(u.record.id, u.reason) for u in outcome.unscored] == [(RECORDS[5].id, "unparseable")]
    assert outcome.unscored_by_reason() == {"unparseable": 1}
    assert [r.id for r in outcome.records_out()] == [RECORDS[i].id for i in (0, 1, 4, 5, 6)]
    assert outcome.counts["scored"] == 6 and outcome.counts["unscored"] == 1
    assert "1 unscored (kept)" in outcome.summary() and outcome.stop_reason == "input_exhausted"

    assert outcome.usage.by_step == {"score": 7}
    bodies = [r.body for r in server.received]
    assert {(b["temperature"], b["seed"], b["max_tokens"]) for b in bodies} == {(0.0, 0, 96)}
    assert any("## 指令" in prompt_of(b) for b in bodies)  # the Chinese record, in Chinese
    assert any("[1] user: My head hurts." in prompt_of(b) for b in bodies)  # the dialogue, turn by turn
    report = outcome.report
    assert report is not None and report.histogram == {5: 1, 4: 2, 3: 1, 2: 1, 1: 1}
    assert "| 4 | 2 |" in report.markdown() and "unparseable 1" in report.markdown()


def test_a_judge_that_errors_leaves_records_unscored_not_dropped(tmp_path: Path) -> None:
    def policy(body: dict[str, Any]) -> faults.Action:
        return faults.server_error(500) if "BROKEN" in prompt_of(body) else faults.answer()

    records = [alpaca("Say hi.", "GRADE4 Hi."), alpaca("Say bye.", "BROKEN bye")]
    with scoring(tmp_path, policy=policy) as (_, run):
        outcome = run(records, ScoreConfig(consistency_sample=0))
    assert [r.id for r in outcome.kept] == [records[0].id] and not outcome.rejected
    assert [u.reason for u in outcome.unscored] == ["quarantined:http_500"]
    assert outcome.unscored[0].evidence["error"].startswith("http_500")
    assert [r.id for r in outcome.records_out()] == [r.id for r in records]


def test_a_rerun_is_answered_from_the_journal(tmp_path: Path) -> None:
    config = ScoreConfig(consistency_sample=3)
    with scoring(tmp_path) as (server, run):
        first = run(RECORDS, config)
        sent = len(server.received)
        second = run(RECORDS, config)
        assert len(server.received) == sent  # nothing sent again
    assert sent == len(RECORDS) + 3 + 1  # every record, the sample, one re-ask for the unreadable
    assert second.usage.requests_sent == 0 and second.usage.requests == 10
    assert second.usage.journal_hits == 11  # the re-ask is replayed too
    assert [(r.id, r.lineage.quality) for r in second.kept] == [(r.id, r.lineage.quality) for r in first.kept]
    assert second.consistency.pairs == first.consistency.pairs


def test_an_order_independent_judge_agrees_with_itself(tmp_path: Path) -> None:
    records = [alpaca(f"Task {i}.", f"GRADE{n} answer") for i, n in enumerate((1, 2, 3, 4, 5, 5))]
    with scoring(tmp_path) as (server, run):
        outcome = run(records, ScoreConfig(consistency_sample=4, seed=3))
    c = outcome.consistency
    assert c.sampled == 4 and c.compared == 4 and c.unreadable == 0
    assert c.mean_abs_delta == 0 and c.share_identical == 1 and c.share_within_1 == 1
    assert outcome.usage.by_step == {"score": 6, "score_consistency": 4}
    flipped = [r.body for r in server.received if "The output is shown first" in prompt_of(r.body)]
    assert len(flipped) == 4
    assert outcome.report is not None and "Position bias" not in outcome.report.markdown()


def test_a_position_biased_judge_shows_a_large_delta(tmp_path: Path) -> None:
    records = [alpaca(f"Task {n}.", f"Answer {n}.") for n in range(5)] + [
        dialogue(("user", "Hello?"), ("assistant", "Hello."))
    ]
    with scoring(tmp_path, position_biased_judge) as (_, run):
        outcome = run(records, ScoreConfig(consistency_sample=10))
    c = outcome.consistency
    assert c.sampled == c.compared == 6
    assert c.mean_abs_delta == pytest.approx(4.0)
    assert c.share_identical == 0 and c.share_within_1 == 0
    assert len(outcome.kept) == 6  # every first score was 5
    assert outcome.report is not None
    markdown = outcome.report.markdown()
    assert "mean |Δscore| 4.00" in markdown and "identical 0%" in markdown and "Position bias" in markdown


def test_a_verbosity_judge_shows_in_the_length_correlation(tmp_path: Path) -> None:
    records = [alpaca(f"Task {n}.", "w" * (5 + 20 * n)) for n in range(5)]
    with scoring(tmp_path, verbosity_judge) as (_, run):
        outcome = run(records, ScoreConfig(min_score=1, consistency_sample=0))
    assert [r.lineage.quality.score for r in outcome.kept if r.lineage.quality] == [1, 2, 3, 4, 5]
    assert outcome.consistency.length_spearman == pytest.approx(1.0)
    assert outcome.consistency.length_records == 5 and outcome.consistency.sampled == 0
    assert outcome.report is not None and "Verbosity bias" in outcome.report.markdown()


def test_the_report_says_plainly_when_the_judge_is_the_embedded_model(tmp_path: Path) -> None:
    records = [alpaca("Say hi.", "GRADE4 Hi.")]
    with scoring(tmp_path) as (_, run):
        weak = run(records, ScoreConfig(consistency_sample=0), judge_model="smollm2", embedded=True)
        hosted = run(records, ScoreConfig(consistency_sample=0))
    assert weak.report is not None and hosted.report is not None
    caveat = (
        "the embedded 135M judge is weak: treat its scores as a rough signal; the structural checks carry"
    )
    assert caveat in weak.report.markdown()
    assert "135M" not in hosted.report.markdown()
    assert weak.kept[0].lineage.quality is not None and weak.kept[0].lineage.quality.judge == "smollm2"
    assert weak.report.as_dict()["warnings"] and not hosted.report.as_dict()["warnings"]


def test_a_score_in_lineage_leaves_the_id_and_old_files_load() -> None:
    from pipeline.records import QualityScore, record_from_dict
    from pipeline.score.run import with_quality

    record = RECORDS[0]
    scored = with_quality(record, QualityScore(score=4, reason="ok", judge="m", rubric="r@1"))
    data = scored.model_dump(mode="json")
    data.pop("id")
    assert record_from_dict(data).id == record.id  # the id hashes the text only
    old = record.model_dump(mode="json")
    old["lineage"].pop("quality")  # a file written before scores existed
    assert record_from_dict(old).lineage.quality is None
