"""The build-dataset flow with generate.parallel_batches: 2 submits batch tasks that run at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.build.conftest import build_config
from tests.support.fault_server import FaultServer
from tests.support.scripted_model import scripted_model

pytestmark = pytest.mark.slow


def test_the_flow_runs_two_batch_tasks_at_once(prefect_harness, data_dir: Path) -> None:
    from prefect.client.orchestration import get_client

    from flows.build_dataset import build_dataset

    with FaultServer(responder=scripted_model, latency_s=0.1) as server:
        config = build_config(server.base_url, name="parallelflow", target=12, tasks_per_request=1)
        config.generate.parallel_batches = 2
        summary = build_dataset(config)
    assert summary["dataset"]["new"] and summary["growth"]["added"] == 12

    with get_client(sync_client=True) as client:
        runs = [run for run in client.read_task_runs() if run.name.startswith("generate-batch")]
    spans = sorted((run.start_time, run.end_time) for run in runs if run.start_time and run.end_time)
    assert len(spans) >= 3 and all(run.state_name == "Completed" for run in runs)
    assert any(later[0] < earlier[1] for earlier, later in zip(spans, spans[1:], strict=False))
