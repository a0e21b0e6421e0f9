"""The report as a Prefect markdown artifact, plots inline (a real ephemeral Prefect API)."""

import asyncio
from pathlib import Path

import pytest

from pipeline.evaluate.config import EvaluateConfig
from pipeline.evaluate.evalsets import items_from_records
from pipeline.evaluate.report import publish_artifact
from pipeline.evaluate.run import EvalRequest, run_evaluation
from tests.evaluate.conftest import WORD_RECORDS, WORD_TRAINING

pytestmark = pytest.mark.slow


def read_artifact(key: str) -> str:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    async def _read() -> list:
        async with get_client() as client:
            return await client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key]))
            )

    return asyncio.run(_read())[0].data


def test_report_is_published_with_its_plots(
    prefect_harness, tiny_llama_dir: Path, word_adapter: Path, tmp_path: Path
) -> None:
    from prefect import flow

    report = run_evaluation(
        items_from_records(WORD_RECORDS[:2]),
        EvalRequest(
            base_model=str(tiny_llama_dir),
            adapter_dir=word_adapter,
            out_dir=tmp_path / "eval",
            train=WORD_TRAINING,
            settings=EvaluateConfig(max_new_tokens=8, semantic_similarity=False),
            progress=lambda *_: None,
        ),
    )
    plots = [Path(p) for p in report["outputs"]["plots"]]
    assert [p.name for p in plots] == ["scores_by_category.png"]

    @flow
    def publish() -> str:
        return publish_artifact(report, plots, "Demo_Eval report")

    assert publish()
    markdown = read_artifact("demo-eval-report")
    assert "## Per category" in markdown and "![scores_by_category](data:image/png;base64," in markdown
    assert "held-out loss" in markdown
