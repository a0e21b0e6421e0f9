"""The size-study flow on a real Prefect server: three sizes trained as finetune subflows,
evaluated, the report published as an artifact whose curves render in headless Chromium; a
second run reuses everything. The tiny random model keeps it short (the study on the embedded
SmolLM2 is `seedforge study sizes demo`, in docs/size-study.md)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.dataset.versions import write_version
from tests.flows.conftest import run_flow_in_child
from tests.flows.test_service import rendered_text
from tests.study.conftest import records
from tests.support.prefect_server import PrefectServer

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
PARAMS = {
    "dataset": "studied",
    "name": "studied",
    "study": {
        "sizes": [0.25, 0.5, 1.0],
        "bootstrap_samples": 500,
        "train": {"epochs": 1, "batch_size": 8, "micro_batch_size": 8, "cutoff_len": 64, "warmup_steps": 0},
        "evaluate": {"judge": False, "semantic_similarity": False, "max_new_tokens": 12},
    },
}


def run_flow(env: dict[str, str], base_model: Path) -> dict:
    params = {
        **PARAMS,
        "study": {**PARAMS["study"], "train": {**PARAMS["study"]["train"], "base_model": str(base_model)}},
    }
    return run_flow_in_child("flows.size_study", "size_study", "pipeline.config.SizeStudyParams", params, env)


def test_size_study_flow_reports_curves_in_the_ui_and_resumes(
    shared_prefect_server: PrefectServer, tmp_path: Path, tiny_llama_dir: Path
) -> None:
    data = tmp_path / "data"
    write_version(
        "studied", records("train", 0), records("heldout", 1), [], config={}, stats={}, root=data / "datasets"
    )
    server = shared_prefect_server
    # the server is shared with other modules: the flow runs of this test are those from now on
    # (nothing else runs meanwhile), what a server of its own held in all
    since = {"flow_runs": {"expected_start_time": {"after_": datetime.now(UTC).isoformat()}}}
    env = server.client_env(SEEDFORGE_DATA_DIR=str(data), PYTHONPATH=str(REPO))
    first = run_flow(env, tiny_llama_dir)
    assert set(first["verdicts"]) == {"all", "classification", "math", "open_qa"}
    study = json.loads((data / "studies" / "studied" / "study.json").read_text())
    assert [s["records"] for s in study["sizes"]] == [12, 24, 48]
    assert all(s["reused"] == [] and s["train_seconds"] > 0 for s in study["sizes"])
    with server.client() as client:
        runs = client.post("/flow_runs/filter", json=since).json()
        names = sorted(client.get(f"/flows/{r['flow_id']}").json()["name"] for r in runs)
        assert names == ["finetune", "finetune", "finetune", "size-study"]
        artifact = client.post(
            "/artifacts/filter", json={"artifacts": {"key": {"any_": ["studied-size-study"]}}}
        ).json()[0]
    assert "data:image/png;base64," in artifact["data"] and "## Verdicts" in artifact["data"]
    screenshot = tmp_path / "size-study-artifact.png"
    text, figures = rendered_text(
        f"{server.ui}/artifacts/artifact/{artifact['id']}", "Suggested quota", screenshot
    )
    assert "Verdicts" in text and "category_quota" in text
    assert figures == 1  # the curves decoded in the browser
    assert screenshot.stat().st_size > 10_000

    second = run_flow(env, tiny_llama_dir)  # as a rerun after an interruption would: nothing is trained again
    assert second["verdicts"] == first["verdicts"]
    resumed = json.loads((data / "studies" / "studied" / "study.json").read_text())
    assert all(s["reused"] == ["adapter", "evaluation"] for s in resumed["sizes"])
    with server.client() as client:
        assert (
            len(client.post("/flow_runs/filter", json=since).json()) == 5
        )  # one more study run, no finetune
