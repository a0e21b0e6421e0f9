"""The whole loop under Prefect's test harness: the real embedded model, a tiny base to train."""

import asyncio
import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def prefect_harness():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def small_config(base_url: str, base_model: Path, seeds: Path | None = None):
    from pipeline.config import (CurateConfig, EvaluateConfig, GenerateConfig, LLMConfig,
                                 PipelineConfig, TrainConfig)

    generate = GenerateConfig(target=6, max_requests=30, tasks_per_request=4)
    if seeds:
        generate.seeds = seeds
    return PipelineConfig(
        name="flowtest",
        llm=LLMConfig(base_url=base_url, max_tokens=160, concurrency=1),
        generate=generate,
        curate=CurateConfig(),
        train=TrainConfig(base_model=str(base_model), epochs=1, batch_size=2, micro_batch_size=2,
                          cutoff_len=128),
        evaluate=EvaluateConfig(heldout_fraction=0.3, min_heldout=2),
    )


def read_artifact(key: str) -> str:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    async def _read() -> list:
        async with get_client() as client:
            return await client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])))

    artifacts = asyncio.run(_read())
    return artifacts[0].data if artifacts else ""


def test_pipeline_flow_end_to_end_and_rerun_replays(prefect_harness, embedded_server, tiny_llama_dir,
                                                    data_dir: Path) -> None:
    from flows.pipeline import seedforge_pipeline

    config = small_config(embedded_server.base_url, tiny_llama_dir)
    summary = seedforge_pipeline(config=config)
    assert summary["generate"]["llm"]["requests_sent"] > 0
    kept = summary["dataset"]["train"] + summary["dataset"]["heldout"]
    assert kept >= 6 and summary["dataset"]["heldout"] >= 2
    assert set(summary["evaluate"]) >= {"base_loss", "tuned_loss"}
    dataset = Path(summary["dataset"]["path"])
    assert json.loads((dataset / "manifest.json").read_text())["counts"]["train"] == summary["dataset"]["train"]
    assert Path(summary["outputs"]["adapter"], "adapter_model.safetensors").is_file()
    report = read_artifact("flowtest-report")
    assert "## Counts per stage" in report and "Tuned vs base" in report

    again = seedforge_pipeline(config=config)
    assert again["generate"]["llm"]["requests_sent"] == 0  # every answer replayed from the journal
    first_ids = (dataset / "train.jsonl").read_text().splitlines()
    second_ids = (Path(again["dataset"]["path"]) / "train.jsonl").read_text().splitlines()
    ids = lambda lines: [json.loads(line)["id"] for line in lines]
    assert ids(first_ids) == ids(second_ids)
