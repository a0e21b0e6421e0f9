"""The scored quality step inside a generation run: batch by batch, one bias check at the end,
and a judge that cannot score stops the build before any generation request."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.config import BuildConfig
from pipeline.generate.self_instruct import build as self_instruct
from pipeline.generate.self_instruct.config import GenerateConfig
from pipeline.llm.journal import Journal
from pipeline.llm.step import StepRunner
from pipeline.score.batches import BatchScorer
from pipeline.score.config import ScoreConfig
from pipeline.score.probe import ScoreSetupError
from pipeline.score.rubric import BUILTIN_RUBRIC
from tests.score.judges import FAST, alpaca, judge_server, prompt_of
from tests.support.llm_fixtures import endpoint_for


def test_batches_are_scored_as_they_come_and_the_bias_check_runs_once(tmp_path: Path) -> None:
    config = ScoreConfig(enabled=True, min_score=3, consistency_sample=3)
    with judge_server() as server, Journal(tmp_path / "journal.sqlite3") as journal:
        scorer = BatchScorer(config, StepRunner(endpoint_for(server), FAST, journal), BUILTIN_RUBRIC)
        first = [alpaca("Name a colour. GRADE5", "Blue."), alpaca("Name a fruit. GRADE1", "Chair.")]
        kept, dropped = scorer(first)
        assert [r.instruction for r in kept] == ["Name a colour. GRADE5"]
        assert kept[0].lineage.quality is not None and kept[0].lineage.quality.score == 5
        assert [d.reason for d in dropped] == ["low_quality_score"] and dropped[0].evidence["score"] == 1
        unreadable = alpaca("Name a tree. UNREADABLE", "Oak.")
        kept, dropped = scorer([alpaca("Name a bird. GRADE4", "Robin."), unreadable])
        assert [r.instruction for r in kept] == ["Name a bird. GRADE4", "Name a tree. UNREADABLE"]
        assert scorer([]) == ([], [])
        sent_before_finish = len(server.received)
        report = scorer.finish()
    assert report.histogram == {5: 1, 1: 1, 4: 1} and report.kept == 2 and report.dropped == 1
    assert sum(report.unscored.values()) == 1
    assert report.consistency.sampled == 3 and report.consistency.compared == 3
    assert len(server.received) == sent_before_finish + 3  # one re-ask per sampled record
    assert report.usage.by_step == {"score": 4, "score_consistency": 3}


def test_a_judge_that_cannot_score_stops_the_build_before_generation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEEDFORGE_DATA_DIR", str(tmp_path / "data"))
    with judge_server(lambda body: "I would rather not say.") as server:
        config = BuildConfig(
            llm=FAST.model_copy(update={"base_url": f"{server.base_url}"}),
            generate=GenerateConfig(target=2, max_requests=10),
            score=ScoreConfig(enabled=True),
        )
        with pytest.raises(ScoreSetupError, match="cannot score records"):
            self_instruct.build(config, "b-probe")
        prompts = [prompt_of(r.body) for r in server.received]
    assert prompts and all("Come up with a series of tasks" not in p for p in prompts)


def test_a_score_bar_out_of_range_is_refused_with_its_line(tmp_path: Path) -> None:
    from pipeline.config import load_config
    from pipeline.errors import SeedforgeError

    path = tmp_path / "build.yaml"
    path.write_text("name: x\nscore:\n  enabled: true\n  min_score: 7\n", encoding="utf-8")
    with pytest.raises(SeedforgeError, match=r"build.yaml:4.*min_score"):
        load_config(path, BuildConfig)


def test_a_rubric_that_does_not_parse_stops_the_build_before_anything_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.errors import SeedforgeError

    monkeypatch.setenv("SEEDFORGE_DATA_DIR", str(tmp_path / "data"))
    rubric = tmp_path / "rubric.yaml"
    rubric.write_text("name: house\nversion: [unclosed\n", encoding="utf-8")
    config = BuildConfig(
        llm=FAST.model_copy(update={"base_url": "http://127.0.0.1:9/v1"}),
        score=ScoreConfig(enabled=True, rubric=rubric),
    )
    with pytest.raises(SeedforgeError, match="rubric.yaml"):
        self_instruct.build(config, "b-rubric")
    assert not (tmp_path / "data" / "runs" / "b-rubric").exists()
