"""seedforge's own log records reach the flow run's logs in Prefect's API (what the UI shows):
the LLM client's quarantine warning made inside a task, a fallback warning made in the flow, a
budget stop.
Outside a run nothing is sent and nothing warns; a process that loads a flow the way a worker's
run process or `python flows/…` does has the handler attached."""

from __future__ import annotations

import asyncio
import importlib
import logging
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

REPO = Path(__file__).resolve().parents[2]
FALLBACK = "the endpoint refused JSON-schema output; asking for numbered text instead"


def test_outside_a_run_library_records_are_not_sent_and_nothing_warns() -> None:
    from prefect.logging.handlers import APILogHandler

    from flows.logs import RunLogHandler, send_library_logs_to_runs

    handler = send_library_logs_to_runs()
    assert isinstance(handler, RunLogHandler) and send_library_logs_to_runs() is handler  # once
    assert logging.getLogger("pipeline").handlers.count(handler) == 1
    record = logging.LogRecord("pipeline.llm", logging.WARNING, __file__, 1, "quarantined", None, None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        handler.handle(record)
        plain = [str(w.message) for w in caught]
        APILogHandler().handle(record)  # Prefect's own handler would warn here
    assert plain == [] and any("without a flow run id" in str(w.message) for w in caught)


@pytest.mark.parametrize(
    "load",
    [
        # a worker's run process (`python -m prefect.engine`) loads the deployment's entrypoint
        "from prefect.flows import load_flow_from_entrypoint\n"
        "load_flow_from_entrypoint('flows/build_dataset.py:build_dataset')",
        # `python flows/ingest_knowledge_base.py`: the file as a script, its folder first on the path
        "import runpy, sys\nsys.path.insert(0, 'flows')\n"
        "runpy.run_path('flows/ingest_knowledge_base.py', run_name='not_main')",
    ],
    ids=["worker-entrypoint", "flow-file-as-script"],
)
def test_a_process_that_loads_a_flow_sends_library_logs_to_runs(load: str, tmp_path: Path) -> None:
    check = (
        f"{load}\nimport logging\nfrom flows.logs import RunLogHandler\n"
        "logger = logging.getLogger('pipeline')\n"
        "assert [type(h) for h in logger.handlers] == [RunLogHandler], logger.handlers\n"
        "assert logger.getEffectiveLevel() == logging.INFO\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PREFECT_HOME": str(tmp_path / "prefect")}
    done = subprocess.run(
        [sys.executable, "-c", check], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]


def _run_logs(flow_run_id: UUID) -> list[Any]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    async def read() -> list[Any]:
        async with get_client() as client:
            return await client.read_logs(
                log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id]))
            )

    return asyncio.run(read())


@pytest.mark.slow  # the harness starts a Prefect server
def test_library_warnings_reach_the_flow_runs_logs(prefect_harness, tmp_path: Path) -> None:
    from prefect import flow, task
    from prefect.context import get_run_context

    import flows
    from flows.logs import RunLogHandler, warn_if_budget_stop
    from pipeline.llm.endpoint import run_requests
    from pipeline.llm.journal import Journal
    from tests.support import faults
    from tests.support.fault_server import FaultServer
    from tests.support.llm_fixtures import FAST, ask, endpoint_for

    library = logging.getLogger("pipeline")
    for handler in [h for h in library.handlers if isinstance(h, RunLogHandler)]:
        library.removeHandler(handler)  # attached by an earlier test: what matters is the import's
    importlib.reload(flows)  # what every flow module's `from flows.… import` runs first

    @task
    def ask_a_failing_endpoint(base_url: str) -> UUID:
        with FaultServer(default=faults.server_error(503)) as server, Journal(tmp_path / "j.db") as journal:
            results, _ = run_requests(endpoint_for(server), FAST, journal, [ask("hi")])
        assert results[0].status == "quarantined"
        return get_run_context().task_run.id  # type: ignore[union-attr]

    @flow
    def falls_back_and_quarantines() -> tuple[UUID, UUID]:
        logging.getLogger("pipeline.generate").warning(FALLBACK)
        task_run_id = ask_a_failing_endpoint("unused")
        warn_if_budget_stop("build b-1", "budget_exhausted", 3, 40)
        warn_if_budget_stop("dialogues", "target_reached", 40, 40)  # not a budget stop: no warning
        # the dialogue cap is named as what it is, not as max_requests
        warn_if_budget_stop("dialogues", "max_requests", 1, 4, "dialogues.max_dialogues = 8")
        return get_run_context().flow_run.id, task_run_id  # type: ignore[union-attr]

    flow_run_id, task_run_id = falls_back_and_quarantines()
    deadline = time.monotonic() + 30
    while True:  # the log worker sends in batches, after the run's state may be final
        everything = _run_logs(flow_run_id)
        logs = [log for log in everything if log.name.startswith("pipeline.")]
        budget = [log.message for log in everything if "stopped on its budget" in log.message]
        if (len(logs) >= 2 and len(budget) >= 2) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    by_name = {log.name: log for log in logs}
    assert set(by_name) == {"pipeline.generate", "pipeline.llm"}, [(log.name, log.message) for log in logs]
    fallback, quarantine = by_name["pipeline.generate"], by_name["pipeline.llm"]
    assert fallback.message == FALLBACK and fallback.level == logging.WARNING
    assert fallback.task_run_id is None  # made in the flow itself
    assert quarantine.message.startswith("quarantined ") and "http_503" in quarantine.message
    assert quarantine.level == logging.WARNING and quarantine.task_run_id == task_run_id
    assert sorted(budget) == [
        "build b-1 stopped on its budget (budget_exhausted) with 3 of 40 wanted",
        "dialogues stopped on its budget (dialogues.max_dialogues = 8) with 1 of 4 wanted",
    ]


def test_a_stage_that_reached_its_target_warns_of_nothing() -> None:
    from flows.logs import warn_if_budget_stop

    warn_if_budget_stop("dialogues", "target_reached", 40, 40)  # outside a run: would raise if it logged
    warn_if_budget_stop("dialogues", "max_requests", 40, 40)  # the target was met on the last request
