"""A command that starts Prefect's temporary API server takes it down when it is killed with
SIGKILL (the server gets SIGTERM from the kernel, PR_SET_PDEATHSIG), instead of leaving it
running orphaned; and a build through that server still finishes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from tests.support.fault_server import FaultServer
from tests.support.scripted_model import scripted_model

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
SERVER_APP = "prefect.server.api.server:create_app"
SEEDS = REPO / "seeds" / "seed_tasks_en.jsonl"


def _temporary_servers(parent: psutil.Process) -> list[psutil.Process]:
    try:
        children = parent.children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    found = []
    for child in children:
        try:
            if SERVER_APP in " ".join(child.cmdline()):
                found.append(child)
        except psutil.NoSuchProcess:
            continue
    return found


def test_kill_9_of_a_build_takes_prefects_temporary_server_with_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    with FaultServer(responder=scripted_model, latency_s=0.5) as model:
        config = tmp_path / "build.yaml"
        config.write_text(
            "name: orphan\n"
            f"llm: {{base_url: '{model.base_url}', model: scripted, concurrency: 1, max_tokens: 200}}\n"
            f"generate: {{seeds: '{SEEDS}', target: 200, max_requests: 2000}}\n"
            "exports: [jsonl]\n",
            encoding="utf-8",
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
        env.update(SEEDFORGE_DATA_DIR=str(data), OPENAI_API_KEY="x", PREFECT_HOME=str(tmp_path / "prefect"))
        build = subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", "build", str(config)],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        servers: list[psutil.Process] = []
        try:
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline and not (servers and model.received):
                servers = _temporary_servers(psutil.Process(build.pid))
                assert build.poll() is None, "the build ended before the test could kill it"
                time.sleep(0.5)
            assert servers and model.received, "no temporary server, or no request, within 180 s"
            os.kill(build.pid, signal.SIGKILL)
            build.wait(timeout=30)
            gone, alive = psutil.wait_procs(servers, timeout=30)
            assert not alive, [p.cmdline() for p in alive]
        finally:
            for process in servers:
                if process.is_running():
                    process.kill()
            if build.poll() is None:
                build.kill()
