"""The service as README documents it, end to end with real parts: `prefect server start`, the
`seedforge` process work pool, `prefect deploy --all` from prefect.yaml, and a `prefect worker`
that runs what the API triggers. The nightly build runs three times, as the schedule would, and
grows the dataset; the pipeline deployment triggers the fine-tune and evaluate deployments."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.flows.conftest import small_build, small_train
from tests.support.prefect_server import (
    PrefectServer,
    prefect_cli,
    stop_process,
    wait_for_deployment,
    wait_for_run,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]
REPO = Path(__file__).resolve().parents[2]
DEPLOYMENTS = (
    "build-dataset/nightly",
    "ingest-knowledge-base/on-demand",
    "finetune/on-demand",
    "evaluate/on-demand",
    "seedforge-pipeline/on-demand",
    "curate-file/on-demand",
)


@dataclass
class Stack:
    server: PrefectServer
    data: Path
    worker_log: Path
    deployments: dict[str, str]  # name -> id

    def trigger(self, client: httpx.Client, deployment: str, parameters: dict) -> str:
        response = client.post(
            f"/deployments/{self.deployments[deployment]}/create_flow_run", json={"parameters": parameters}
        )
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def finished(self, client: httpx.Client, run_id: str, timeout: float) -> dict:
        run = wait_for_run(client, run_id, timeout=timeout)
        assert run["state"]["type"] == "COMPLETED", (
            f"{run['name']}: {run['state']['type']} {run['state'].get('message')}\n"
            + self.worker_log.read_text(errors="replace")[-6000:]
        )
        return run


@pytest.fixture(scope="module")
def stack(shared_prefect_server: PrefectServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """README's "Run it as a service", step by step, from the repository root (on the server
    the other modules share: the work pool and prefect.yaml's deployments are this module's)."""
    data = tmp_path_factory.mktemp("worker-data")
    server = shared_prefect_server
    env = server.client_env(
        SEEDFORGE_DATA_DIR=str(data),
        SEEDFORGE_PROJECT_DIR=str(REPO),
        PREFECT_WORKER_QUERY_SECONDS="2",  # the default 10 s only slows the test down
    )
    env.pop("PYTHONPATH", None)  # the worker finds the code through the pull step, as documented
    prefect_cli("work-pool", "create", "seedforge", "--type", "process", env=env, cwd=REPO)
    prefect_cli("--no-prompt", "deploy", "--all", env=env, cwd=REPO)
    with server.client() as client:
        deployments = {name: wait_for_deployment(client, name, timeout=10) for name in DEPLOYMENTS}
        nightly = client.get(f"/deployments/{deployments['build-dataset/nightly']}").json()
        # the schedule is deployed; switched off here so 02:00 UTC cannot start a run mid-test
        (schedule,) = nightly["schedules"]
        assert schedule["schedule"]["cron"] == "0 2 * * *" and schedule["schedule"]["timezone"] == "UTC"
        response = client.patch(
            f"/deployments/{nightly['id']}/schedules/{schedule['id']}", json={"active": False}
        )
        assert response.status_code == 204, response.text
    # `prefect deploy` fills in {{ $SEEDFORGE_PROJECT_DIR }}: runs start in the project folder
    assert nightly["pull_steps"] == [
        {"prefect.deployments.steps.set_working_directory": {"directory": str(REPO)}}
    ]
    worker_log = data / "worker.log"
    log = open(worker_log, "wb")
    worker = subprocess.Popen(
        [sys.executable, "-m", "prefect", "worker", "start", "--pool", "seedforge"],
        cwd=data,  # anywhere: each run starts in the project folder `prefect deploy` recorded
        env={k: v for k, v in env.items() if k != "SEEDFORGE_PROJECT_DIR"},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: stopped with its flow-run children
    )
    try:
        yield Stack(server, data, worker_log, deployments)
    finally:
        stop_process(worker)  # the worker before the server: the other order hangs
        log.close()


def _version_records(path: Path) -> list:
    from pipeline.dataset.versions import load_version

    _, train, heldout = load_version(path)
    return [*train, *heldout]


def _content_key(record) -> str:  # type: ignore[no-untyped-def]
    from pipeline.text import normalize

    return normalize(record.instruction) + "\x00" + normalize(record.input)


def test_three_nightly_runs_grow_the_dataset_without_duplicates(stack: Stack, embedded_server) -> None:
    config = small_build(embedded_server.base_url, name="nightlytest").model_dump(mode="json")
    config["generate"]["target"] = 2  # growth and duplicates are under test: a few records per run do
    with stack.server.client() as client:
        for _ in range(3):  # one after another, as the schedule would
            stack.finished(client, stack.trigger(client, "build-dataset/nightly", {"config": config}), 300)
    versions = sorted((stack.data / "datasets" / "nightlytest").glob("v*"))
    assert [v.name for v in versions] == ["v0001", "v0002", "v0003"]
    ids = [[r.id for r in _version_records(v)] for v in versions]
    for earlier, later in zip(ids, ids[1:], strict=False):
        assert set(earlier) < set(later), "each build keeps every earlier record and adds at least one"
    last = _version_records(versions[-1])
    assert len(ids[-1]) == len(set(ids[-1])), "a record id repeats"
    keys = [_content_key(r) for r in last]
    assert len(keys) == len(set(keys)), "an instruction + input repeats after normalisation"


def test_pipeline_deployment_runs_finetune_and_evaluate_deployments(
    stack: Stack, embedded_server, tiny_llama_dir: Path
) -> None:
    from pipeline.config import PipelineConfig

    build = small_build(embedded_server.base_url, name="workerpipe")
    build.generate.target = 4  # two to train on, two held out (min_heldout): enough to chain the deployments
    config = PipelineConfig(**build.model_dump(), train=small_train(tiny_llama_dir))
    started = time.monotonic()
    with stack.server.client() as client:
        parent = stack.trigger(
            client, "seedforge-pipeline/on-demand", {"config": config.model_dump(mode="json")}
        )
        stack.finished(client, parent, 600)
        task_runs = client.post("/task_runs/filter", json={"flow_runs": {"id": {"any_": [parent]}}}).json()
        children = client.post(
            "/flow_runs/filter",
            json={"flow_runs": {"parent_task_run_id": {"any_": [t["id"] for t in task_runs]}}},
        ).json()
        by_deployment = {c["deployment_id"]: c for c in children if c["deployment_id"]}
        assert set(by_deployment) == {
            stack.deployments["finetune/on-demand"],
            stack.deployments["evaluate/on-demand"],
        }, children
        for child in by_deployment.values():
            assert child["state"]["type"] == "COMPLETED", child["state"]
        finetune = by_deployment[stack.deployments["finetune/on-demand"]]
        evaluate = by_deployment[stack.deployments["evaluate/on-demand"]]
        assert finetune["end_time"] <= evaluate["start_time"]  # evaluation of the trained adapter
        artifacts = client.post(
            "/artifacts/filter",
            json={"artifacts": {"flow_run_id": {"any_": [parent, finetune["id"], evaluate["id"]]}}},
        ).json()
    by_key = {a["key"]: a for a in artifacts if a["key"]}
    assert by_key["workerpipe-finetune-report"]["flow_run_id"] == finetune["id"]
    assert "## Training" in by_key["workerpipe-finetune-report"]["data"]
    assert by_key["workerpipe-evaluation-report"]["flow_run_id"] == evaluate["id"]
    assert "tuned" in by_key["workerpipe-evaluation-report"]["data"]
    assert by_key["workerpipe-report"]["flow_run_id"] == parent
    assert "## Evaluation: tuned vs base" in by_key["workerpipe-report"]["data"]
    print(f"pipeline deployment run: {time.monotonic() - started:.0f} s", file=sys.stderr)


def test_a_file_curated_by_the_worker_on_a_local_dask_cluster(stack: Stack, tmp_path: Path) -> None:
    """The curate-file deployment, run by the worker, with its per-record half on a LocalCluster
    that the flow run starts: what one process writes, and the cluster gone afterwards."""
    from pipeline.curate.config import CurateConfig
    from pipeline.curate.files import curate_file
    from tests.support.curation_corpus import mixed_corpus, write_jsonl

    source = write_jsonl(tmp_path / "in.jsonl", mixed_corpus(300))
    curate_file(
        source, tmp_path / "single.jsonl", CurateConfig(), rejected=tmp_path / "single.rejected.jsonl", jobs=0
    )
    params = {"source": str(source), "out": str(tmp_path / "flow.jsonl"), "dask": "local:2"}
    with stack.server.client() as client:
        stack.finished(client, stack.trigger(client, "curate-file/on-demand", {"params": params}), 300)
    assert (tmp_path / "flow.jsonl").read_bytes() == (tmp_path / "single.jsonl").read_bytes()
    assert (tmp_path / "flow.rejected.jsonl").read_bytes() == (
        tmp_path / "single.rejected.jsonl"
    ).read_bytes()
    report = json.loads((tmp_path / "flow.report.json").read_text(encoding="utf-8"))
    assert report["preparing"]["workers"] == 2
