"""A deployed build flow that starts its own embedded llama.cpp server leaves none behind when
its run is cancelled through the API (as the UI's Cancel does) or its process gets SIGTERM.

A real `prefect server start`, the build deployment served (`prefect.serve`: each run in its
own process, killed by the runner on cancellation exactly as a process worker does)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
import pytest

from tests.flows.conftest import small_build
from tests.support.prefect_server import (
    PrefectServer,
    stop_process,
    wait_for_deployment,
    wait_for_run,
)

REPO = Path(__file__).resolve().parents[2]
LLAMA = "llama_cpp.server"


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@dataclass
class Served:
    server: PrefectServer
    serving: subprocess.Popen[bytes]
    deployment: str
    data: Path
    log: Path
    seen: dict[int, str] = field(default_factory=dict)  # every descendant of the serving process

    def start_run(self, client: httpx.Client) -> str:
        for _ in range(10):  # a busy server (SQLite on two cores) may answer 503 for a moment
            response = client.post(f"/deployments/{self.deployment}/create_flow_run", json={})
            if response.status_code != 503:
                break
            time.sleep(2)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def llama_server(self, run_id: str, client: httpx.Client, timeout: float = 240) -> psutil.Process:
        """The run's llama.cpp server once it answers (its parent is the run's process)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = client.get(f"/flow_runs/{run_id}").json()["state"]
            assert state["type"] in ("SCHEDULED", "PENDING", "RUNNING"), (state, self.tail())
            for child in psutil.Process(self.serving.pid).children(recursive=True):
                try:
                    self.seen[child.pid] = " ".join(child.cmdline())
                    if LLAMA in child.cmdline() and any(
                        c.status == "LISTEN" for c in child.net_connections("inet")
                    ):
                        return child
                except psutil.NoSuchProcess:
                    continue
            time.sleep(0.2)
        raise AssertionError(f"no llama.cpp server appeared\n{self.tail()}")

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@pytest.fixture(scope="module")
def served(
    shared_prefect_server: PrefectServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    data = tmp_path_factory.mktemp("cancel-data")
    server = shared_prefect_server
    # no base_url: each run starts its own embedded server; a target it cannot reach soon
    config = small_build(None, name="canceltest")
    config.generate = config.generate.model_copy(update={"target": 60, "max_requests": 400})
    env = server.client_env(
        SEEDFORGE_DATA_DIR=str(data),
        SEEDFORGE_TEST_BUILD_CONFIG=config.model_dump_json(),
        SEEDFORGE_TEST_DEPLOYMENT="it-cancel",
        PYTHONPATH=str(REPO),
        PREFECT_RUNNER_POLL_FREQUENCY="2",  # notices a cancellation sooner than its 10 s
    )
    log_path = data / "serve.log"
    with open(log_path, "wb") as log:
        serving = subprocess.Popen(
            [sys.executable, "-m", "tests.support.serve_deployments"],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        with server.client() as client:
            deployment = wait_for_deployment(client, "build-dataset/it-cancel")
        yield Served(server, serving, deployment, data, log_path)
    finally:
        stop_process(serving)  # the serving process before the server: the other order hangs


def assert_nothing_left(served: Served, llama: psutil.Process, run_process: int) -> None:
    deadline = time.monotonic() + 30
    while (alive(llama.pid) or alive(run_process)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not alive(llama.pid), f"the llama.cpp server outlived its run\n{served.tail()}"
    assert not alive(run_process), "the run's process is still there"
    left = [pid for pid, cmd in served.seen.items() if LLAMA in cmd and alive(pid)]
    assert not left, f"llama.cpp servers still running: {left}"
    assert not list(served.data.glob("datasets/canceltest/v*")), "a version was written"


@pytest.mark.slow
def test_a_run_cancelled_through_the_api_ends_cancelled_and_stops_its_server(served: Served) -> None:
    with served.server.client() as client:
        run_id = served.start_run(client)
        llama = served.llama_server(run_id, client)
        run_process = llama.ppid()
        started = time.monotonic()
        # what the UI's Cancel button sends
        response = client.post(
            f"/flow_runs/{run_id}/set_state",
            json={"state": {"type": "CANCELLING", "name": "Cancelling"}, "force": True},
        )
        assert response.status_code in (200, 201), response.text
        run = wait_for_run(client, run_id, timeout=120)
    assert run["state"]["type"] == "CANCELLED", (run["state"], served.tail())
    assert time.monotonic() - started < 60
    assert_nothing_left(served, llama, run_process)


@pytest.mark.slow
def test_a_run_whose_process_gets_sigterm_crashes_and_stops_its_server(served: Served) -> None:
    with served.server.client() as client:
        run_id = served.start_run(client)
        llama = served.llama_server(run_id, client)
        run_process = llama.ppid()
        psutil.Process(run_process).terminate()
        run = wait_for_run(client, run_id, timeout=120)
    # Crashed, or Failed when the signal lands while Prefect sets up a task run (its engine then
    # raises "Task run is not set" instead); either way the run is over and its server gone
    assert run["state"]["type"] in ("CRASHED", "FAILED"), (run["state"], served.tail())
    assert_nothing_left(served, llama, run_process)


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_run_whose_process_is_killed_takes_its_server_down(served: Served) -> None:
    """SIGKILL (the runner's escalation when a run outlasts the grace period) runs no clean-up
    at all: the server goes because it was started to die with its parent."""
    with served.server.client() as client:
        run_id = served.start_run(client)
        llama = served.llama_server(run_id, client)
        run_process = llama.ppid()
        psutil.Process(run_process).kill()
        run = wait_for_run(client, run_id, timeout=120)
    assert run["state"]["type"] == "CRASHED", (run["state"], served.tail())
    assert_nothing_left(served, llama, run_process)


def test_the_hook_stops_only_children_started_during_the_run() -> None:
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from flows.hooks import stop_child_processes
    from pipeline.processes import stop_process, track

    before = subprocess.Popen(["sleep", "60"])  # a server the run did not start (a fixture's)
    track(before, "before")
    time.sleep(1.5)
    run = SimpleNamespace(id="run", start_time=datetime.now(UTC))
    during = subprocess.Popen(["sleep", "60"])
    track(during, "during")
    state = SimpleNamespace(name="Crashed", type=SimpleNamespace(value="CRASHED"))
    try:
        stop_child_processes(None, SimpleNamespace(id="other", start_time=None), state)
        assert during.poll() is None  # a run that never started started nothing
        stop_child_processes(None, run, state)
        assert during.poll() == -signal.SIGTERM and before.poll() is None
    finally:
        stop_process(before)
        stop_process(during)
