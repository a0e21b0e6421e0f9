"""`seedforge llm serve --replicas 2`: two real llama.cpp servers answering one run through
`llm.endpoints`, one of them killed mid-run; SIGTERM then stops the other, no orphan left."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from pipeline.llm.config import LLMConfig
from pipeline.llm.embedded import free_port
from pipeline.llm.endpoint import open_endpoint, run_requests
from pipeline.llm.journal import Journal
from pipeline.processes import EXIT_SIGTERM
from tests.support.llm_fixtures import ask

REPO = Path(__file__).resolve().parents[2]


def answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def two_free_ports() -> tuple[int, int]:
    """PORT and PORT + 1 both free now (`llm serve --replicas 2 --port PORT` takes both): with a
    second test worker opening sockets, a free PORT alone often has PORT + 1 taken."""
    while True:
        first = free_port()
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", first + 1))
            except OSError:
                continue
        return first, first + 1


def server_on(port: int) -> psutil.Process | None:
    for process in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if "llama_cpp.server" in cmdline and f"--port {port}" in cmdline:
            return process
    return None


@pytest.mark.slow
def test_two_replicas_answer_one_run_and_one_killed_mid_run_leaves_the_other(tmp_path: Path) -> None:
    ports = two_free_ports()
    first = ports[0]
    log = open(tmp_path / "serve.log", "wb")
    serve = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "llm", "serve", "--replicas", "2", "--port", str(first)],
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()
    try:
        deadline = time.monotonic() + 60
        printed = ""
        while printed.count("serving at") < 2:  # printed once both answer
            assert serve.poll() is None, printed
            assert time.monotonic() < deadline, "the replicas did not start"
            time.sleep(0.2)
            printed = (tmp_path / "serve.log").read_text()
        assert all(f"127.0.0.1:{p}/v1" in printed and answers(p) for p in ports)

        config = LLMConfig(
            endpoints=[{"base_url": f"http://127.0.0.1:{p}/v1"} for p in ports],
            max_tokens=12,
            probe_after_s=60.0,
            backoff_base_s=0.05,
        )
        victim = server_on(ports[0])
        assert victim is not None
        requests = [ask(f"Name a colour, number {n}.") for n in range(16)]
        with open_endpoint(config) as endpoint, Journal(tmp_path / "j.db") as journal:
            killer = threading.Timer(1.0, victim.kill)
            killer.start()
            started = time.monotonic()
            results, stats = run_requests(endpoint, config, journal, requests)
            elapsed = time.monotonic() - started
            killer.join()
            states = endpoint.run.replicas
            assert journal.counts() == {"answered": 16}
        assert elapsed > 1.0, "the run ended before the kill: it tested nothing"
        assert all(r.ok for r in results)
        assert states is not None and states[0].health.out and not states[1].health.out
        assert states[0].sent > 0 and states[1].sent > 0  # both answered before the kill
        # every attempt beyond one per request failed on the killed server: none answered twice
        assert stats.sent == 16 + sum(stats.retries.values())

        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=30) == EXIT_SIGTERM
        assert server_on(ports[1]) is None and not answers(ports[1])
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait()
        for port in ports:
            leftover = server_on(port)
            if leftover is not None:
                leftover.kill()


@pytest.mark.slow
def test_every_replica_dying_exits_with_the_service_code(tmp_path: Path) -> None:
    """The servers failing is not the command line's fault: exit 3, as for an endpoint that dies
    (here once serving, as when its process is OOM-killed)."""
    port = free_port()
    out, err = tmp_path / "serve.out", tmp_path / "serve.err"
    with open(out, "wb") as stdout, open(err, "wb") as stderr:
        serve = subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", "llm", "serve", "--port", str(port)],
            cwd=REPO,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while "serving at" not in out.read_text():
            assert serve.poll() is None, err.read_text()
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        victim = server_on(port)
        assert victim is not None
        victim.kill()
        assert serve.wait(timeout=30) == 3, err.read_text()
        printed = err.read_text()
        assert "exited on its own" in printed and "no embedded LLM server is left running" in printed
        assert "Traceback" not in printed
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait()


def test_a_model_file_that_is_not_a_gguf_is_bad_input_before_any_server_starts(tmp_path: Path) -> None:
    fake = tmp_path / "model.gguf"
    fake.write_bytes(b"not a model at all")
    for model in (fake, tmp_path / "missing.gguf"):
        done = subprocess.run(
            [sys.executable, "-m", "pipeline.cli", "llm", "serve", "--model", str(model)],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2, done.stderr
        assert str(model) in done.stderr and "Traceback" not in done.stderr
