"""Every flow under Prefect's test harness, with the real embedded model and a tiny base."""

import json
from pathlib import Path

import pytest

from tests.flows.conftest import read_artifacts, small_build, small_train

pytestmark = pytest.mark.slow


def test_build_dataset_twice_grows_the_dataset(prefect_harness, embedded_server, data_dir: Path) -> None:
    from flows.build_dataset import build_dataset
    from pipeline.curate.rouge import rouge_l_f1
    from pipeline.curate.views import compared_text
    from pipeline.records import record_from_dict
    from pipeline.text import normalize, tokenize

    config = small_build(embedded_server.base_url, name="buildtest")
    config.generate.target = 4  # growth is under test, not the size: a few records per build do
    first = build_dataset(config)
    dataset = first["dataset"]
    assert first["generate"]["llm"]["requests_sent"] > 0 and dataset["new"]
    assert dataset["train"] + dataset["heldout"] >= 3  # the 135M model may end on the request cap
    version = Path(dataset["path"])
    for name in (
        "alpaca.json",
        "records.jsonl",
        "sharegpt.json",
        "openai_chat.jsonl",
        "records.parquet",
        "dataset_info.json",
        "report.md",
        "manifest.json",
    ):
        assert (version / name).is_file(), name
    artifacts = read_artifacts(["buildtest-build-report", "buildtest-samples", "buildtest-dataset"])
    assert "## Rejection funnel" in artifacts["buildtest-build-report"]
    assert "## Growth" in artifacts["buildtest-build-report"]
    assert "data:image/png;base64," in artifacts["buildtest-build-report"]
    assert "## Categories" in artifacts["buildtest-build-report"]  # every record has a category
    manifest = json.loads((version / "manifest.json").read_text())
    assert sum(manifest["categories"]["train"].values()) == dataset["train"]
    assert "uncategorized" not in manifest["categories"]["train"]
    assert version.as_uri() in artifacts["buildtest-dataset"]
    assert json.loads(artifacts["buildtest-samples"])[0]["instruction"]

    # the next build asks new questions and adds to the dataset: v2 = v1 + new records
    again = build_dataset(config)
    growth = again["growth"]
    assert again["build"] != first["build"] and growth["build_number"] == 2
    assert again["generate"]["llm"]["requests_sent"] > 0
    assert again["dataset"]["new"] and growth["added"] > 0 and growth["parent"] == 1
    second = Path(again["dataset"]["path"])
    split_ids = {}
    for split in ("train", "heldout"):
        old = [json.loads(line) for line in (version / f"{split}.jsonl").read_text().splitlines()]
        new = [json.loads(line) for line in (second / f"{split}.jsonl").read_text().splitlines()]
        assert [r["id"] for r in new[: len(old)]] == [r["id"] for r in old]
        split_ids[split] = (old, new[len(old) :])
    earlier = [compared_text(record_from_dict(r), "prompt") for old, _ in split_ids.values() for r in old]
    added = [compared_text(record_from_dict(r), "prompt") for _, new in split_ids.values() for r in new]
    assert len(added) == growth["added"]
    for text in added:
        assert normalize(text) not in {normalize(e) for e in earlier}
        assert max(rouge_l_f1(tokenize(text), tokenize(e)) for e in earlier) <= 0.7


def test_pipeline_flow_runs_build_finetune_evaluate(
    prefect_harness, embedded_server, tiny_llama_dir, data_dir: Path
) -> None:
    from flows.seedforge_pipeline import seedforge_pipeline
    from pipeline.config import PipelineConfig

    build = small_build(embedded_server.base_url, name="pipetest")
    build.generate.target = 4  # two to train on, two held out (min_heldout): enough to chain the stages
    config = PipelineConfig(**build.model_dump(), train=small_train(tiny_llama_dir))
    summary = seedforge_pipeline(config)
    assert set(summary["evaluate"]) >= {"base_loss", "tuned_loss", "tuned_better"}
    assert Path(summary["outputs"]["adapter"], "adapter_model.safetensors").is_file()
    report = Path(summary["outputs"]["report"]).read_text()
    for heading in ("## Counts per stage", "## Training", "## Evaluation: tuned vs base"):
        assert heading in report
    artifacts = read_artifacts(["pipetest-report", "pipetest-finetune-report", "pipetest-evaluation-report"])
    assert f"{summary['evaluate']['tuned_loss']:.4f}" in artifacts["pipetest-report"]
    assert len(artifacts) == 3


def test_api_key_comes_from_a_secret_block(prefect_harness, monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect.blocks.system import Secret

    from flows.key_block import KEY_BLOCK_ENV, load_api_key_from_block
    from pipeline.settings import settings

    Secret(value="sk-from-block-123").save("seedforge-test-key", overwrite=True)
    monkeypatch.setenv(KEY_BLOCK_ENV, "seedforge-test-key")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert load_api_key_from_block()
    assert settings().openai_api_key.get_secret_value() == "sk-from-block-123"
    monkeypatch.delenv(KEY_BLOCK_ENV)
    assert not load_api_key_from_block()
