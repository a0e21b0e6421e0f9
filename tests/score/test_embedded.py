"""The real thing, once: the embedded 135M model as the judge (grammar-constrained JSON)."""

from pathlib import Path

import pytest

from pipeline.llm.config import LLMConfig
from pipeline.llm.embedded import EMBEDDED_MODEL_NAME
from pipeline.llm.endpoint import Endpoint
from pipeline.llm.journal import Journal
from pipeline.llm.step import StepRunner
from pipeline.score.config import ScoreConfig
from pipeline.score.probe import check_judge
from pipeline.score.run import score_records
from tests.score.judges import alpaca, dialogue

pytestmark = pytest.mark.slow


def test_the_embedded_judge_passes_the_probe_and_scores_records(embedded_server, tmp_path: Path) -> None:
    judge = Endpoint(
        base_url=embedded_server.base_url, api_key="not-needed", model=EMBEDDED_MODEL_NAME, embedded=True
    )
    config = ScoreConfig(consistency_sample=2)
    llm = config.judge_llm(LLMConfig())
    probe = check_judge(judge, config, llm)
    assert 1 <= probe.score <= 5 and probe.judge == EMBEDDED_MODEL_NAME

    records = [
        alpaca("Name the largest planet in the solar system.", "Jupiter is the largest planet."),
        alpaca("Translate to French.", "Bonjour.", input="Good morning."),
        alpaca("用一句话介绍长城。", "长城是中国古代修建的军事防御工程。", language="zh"),
        dialogue(
            ("user", "How do I boil an egg?"), ("assistant", "Put it in boiling water for nine minutes.")
        ),
    ]
    with Journal(tmp_path / "journal.sqlite3") as journal:
        outcome = score_records(records, config, StepRunner(judge, llm, journal))
    scored = outcome.kept + [
        record for rejected in outcome.rejected for record in records if record.id == rejected.record["id"]
    ]
    assert len(scored) + len(outcome.unscored) == len(records)
    for record in outcome.kept:
        assert record.lineage.quality is not None and 1 <= record.lineage.quality.score <= 5
    for rejected in outcome.rejected:
        assert 1 <= rejected.evidence["score"] < config.min_score
    assert len(outcome.unscored) <= 1  # a weak judge, but its answers follow the schema
    assert outcome.report is not None
    assert "the embedded 135M judge is weak" in outcome.report.markdown()
