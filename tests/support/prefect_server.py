"""A real `prefect server start` on a free 127.0.0.1 port, for integration tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from pipeline.llm.embedded import free_port


class RetryingClient(httpx.Client):
    """Retries what the Prefect server answers 503 to ("errors clients can retry on", e.g. its
    SQLite database busy while a run writes its final state), as Prefect's own client does."""

    def request(self, *args: Any, **kwargs: Any) -> httpx.Response:
        for attempt in range(8):
            response = super().request(*args, **kwargs)
            if response.status_code != 503:
                return response
            time.sleep(0.5 * 2 ** min(attempt, 3))
        return response


@dataclass
class PrefectServer:
    url: str  # ends in /api
    home: Path
    auth: tuple[str, str] | None

    @property
    def ui(self) -> str:
        return self.url.removesuffix("/api")

    def client(self) -> httpx.Client:
        return RetryingClient(base_url=self.url, auth=self.auth, timeout=30)

    def client_env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        env.update(
            PREFECT_API_URL=self.url,
            PREFECT_HOME=str(self.home),
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
            **extra,
        )
        if self.auth:
            env["PREFECT_API_AUTH_STRING"] = ":".join(self.auth)
        return env


def stop_process(process: subprocess.Popen, timeout: float = 30) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@contextmanager
def prefect_server(
    auth: tuple[str, str] | None = None, startup_timeout: float = 120
) -> Iterator[PrefectServer]:
    home = Path(tempfile.mkdtemp(prefix="prefect-server-"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        PREFECT_HOME=str(home),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_UI_ENABLED="true",
        # the UI calls this address; its default is port 4200
        PREFECT_UI_API_URL=f"http://127.0.0.1:{port}/api",
    )
    if auth:
        env["PREFECT_SERVER_API_AUTH_STRING"] = ":".join(auth)
    log = open(home / "server.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = PrefectServer(f"http://127.0.0.1:{port}/api", home, auth)
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"prefect server exited: {(home / 'server.log').read_text()[-2000:]}")
            try:
                if httpx.get(f"{server.url}/health", auth=auth, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("prefect server did not become healthy")
            time.sleep(0.5)
        yield server
    finally:
        stop_process(process)
        log.close()


FINAL_STATES = ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")


def wait_for_deployment(client: httpx.Client, name: str, timeout: float = 120) -> str:
    """The id of deployment `flow-name/deployment-name`, once it exists."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = client.get(f"/deployments/name/{name}")
        if response.status_code == 200:
            return str(response.json()["id"])
        time.sleep(1)
    raise AssertionError(f"deployment {name} never appeared")


def wait_for_run(client: httpx.Client, run_id: str, timeout: float = 420) -> dict:
    """The flow run once it is in a final state."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = client.get(f"/flow_runs/{run_id}").json()
        if run["state"] and run["state"]["type"] in FINAL_STATES:
            return run
        time.sleep(2)
    raise AssertionError(f"flow run {run_id} did not finish in {timeout:.0f} s")


def prefect_cli(*args: str, env: dict[str, str], cwd: Path, timeout: float = 300) -> str:
    """`prefect ARGS` as a user types it; its output, or an AssertionError with it."""
    result = subprocess.run(
        [sys.executable, "-m", "prefect", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, (
        f"prefect {' '.join(args)}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    return result.stdout
