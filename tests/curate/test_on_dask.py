"""Curation with the per-record half on a Dask cluster gives the single-process result, record
for record; a scheduler that cannot be reached is a clear error with nothing written."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.curate.config import CurateConfig
from tests.support.curation_corpus import LINEAGE, comparable, mixed_corpus, write_jsonl

runner = CliRunner()


def _same_as_one_process(tmp_path: Path, dask: str) -> None:
    from pipeline.curate.files import curate_file

    source = write_jsonl(tmp_path / "in.jsonl", mixed_corpus(400))
    runs = {
        name: curate_file(
            source, tmp_path / f"{name}.jsonl", CurateConfig(), rejected=tmp_path / f"{name}-rej.jsonl", **kw
        )
        for name, kw in (("single", {"jobs": 0}), ("dask", {"dask": dask}))
    }
    single, on_dask = runs["single"], runs["dask"]
    assert on_dask["preparing"]["chunks"] == 2 and on_dask["preparing"]["workers"] == 2
    # the corpus reaches every step, so every step's result is compared
    assert set(single["reasons_by_step"]) == {
        "filters",
        "output_checks",
        "structure",
        "exact",
        "minhash",
        "novelty",
    }
    assert single["pii"]["records_redacted"] > 0 and single["counts"]["kept"] > 100
    assert comparable(on_dask) == comparable(single)
    for name in ("{}.jsonl", "{}-rej.jsonl"):
        assert (tmp_path / name.format("dask")).read_bytes() == (
            tmp_path / name.format("single")
        ).read_bytes()
    bad = write_jsonl(tmp_path / "bad.jsonl", mixed_corpus(300))
    with bad.open("a", encoding="utf-8") as out:
        out.write(json.dumps({"instruction": "Name three rivers in Europe.", "lineage": LINEAGE}) + "\n")
    result = runner.invoke(app, ["curate", str(bad), "--out", str(tmp_path / "o.jsonl"), "--dask", dask])
    assert result.exit_code == 2, result.output
    assert f"{bad}:301" in result.output and "output: Field required" in result.output
    assert not (tmp_path / "o.jsonl").exists()


@pytest.mark.slow
def test_a_local_cluster_of_two_workers_gives_the_single_process_result(tmp_path: Path) -> None:
    _same_as_one_process(tmp_path, "local:2")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def scheduler() -> Iterator[str]:
    """`dask scheduler` and a `dask worker` of two single-threaded processes, as a user
    starts them; stopped even when the test fails."""
    address = f"tcp://127.0.0.1:{_free_port()}"
    dask = [sys.executable, "-m", "dask"]  # the `dask` command
    started = [
        subprocess.Popen(
            [
                *dask,
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                address.rsplit(":", 1)[1],
                "--no-dashboard",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    try:
        started.append(
            subprocess.Popen(
                [*dask, "worker", address, "--nworkers", "2", "--nthreads", "1", "--no-dashboard"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        from distributed import Client

        with Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=30)
        yield address
    finally:
        for process in reversed(started):
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.mark.slow
def test_a_scheduler_started_apart_gives_the_single_process_result(scheduler: str, tmp_path: Path) -> None:
    _same_as_one_process(tmp_path, scheduler)


def test_an_unreachable_scheduler_is_a_clear_error_and_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.curate import on_dask

    monkeypatch.setattr(on_dask, "CONNECT_SECONDS", 1)
    source = write_jsonl(tmp_path / "in.jsonl", mixed_corpus(20))
    out, report = tmp_path / "out.jsonl", tmp_path / "report.json"
    address = f"tcp://127.0.0.1:{_free_port()}"  # nothing listens there
    started = time.monotonic()
    result = runner.invoke(
        app, ["curate", str(source), "--out", str(out), "--report", str(report), "--dask", address]
    )
    assert result.exit_code == 2, result.output
    assert f"dask scheduler {address}: cannot connect within 1 s" in result.output
    assert time.monotonic() - started < 15
    assert not out.exists() and not report.exists()
    for option, expected in (
        (["--dask", "local:none"], "--dask local:none: expected local, local:N"),
        (["--dask", "host:8786"], "--dask host:8786: expected local, local:N or a scheduler address"),
        (["--dask", "local", "--jobs", "2"], "--jobs 2 and --dask local: choose one"),
    ):
        result = runner.invoke(app, ["curate", str(source), "--out", str(out), *option])
        assert result.exit_code == 2 and expected in " ".join(result.output.split()), result.output
        assert not out.exists()


class _NotAScheduler:
    """A TCP server that either answers any bytes with an HTTP 400 or accepts and stays silent."""

    def __init__(self, answers: bool):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"tcp://127.0.0.1:{self.listener.getsockname()[1]}"
        self.answers, self.held = answers, []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.held.append(connection)
            if self.answers:
                connection.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n" * 4)

    def close(self) -> None:
        self.listener.close()
        for connection in self.held:
            connection.close()


@pytest.mark.parametrize(
    ("answers", "expected"),
    [(True, "is not a Dask scheduler"), (False, "cannot connect within 1 s")],
)
def test_a_server_that_is_not_a_scheduler_is_a_clear_error_not_a_traceback_or_a_hang(
    answers: bool, expected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.curate import on_dask

    monkeypatch.setattr(on_dask, "CONNECT_SECONDS", 1)
    source = write_jsonl(tmp_path / "in.jsonl", mixed_corpus(20))
    out = tmp_path / "out.jsonl"
    server = _NotAScheduler(answers)
    try:
        started = time.monotonic()
        result = runner.invoke(app, ["curate", str(source), "--out", str(out), "--dask", server.address])
    finally:
        server.close()
    assert result.exit_code == 2, result.output
    assert f"dask scheduler {server.address}" in result.output and expected in " ".join(result.output.split())
    assert time.monotonic() - started < 15
    assert not out.exists()


def test_more_local_workers_than_cores_is_refused_before_any_starts(tmp_path: Path) -> None:
    from pipeline.curate.on_dask import _cores

    source = write_jsonl(tmp_path / "in.jsonl", mixed_corpus(5))
    out = tmp_path / "out.jsonl"
    many = f"local:{_cores() + 1}"
    result = runner.invoke(app, ["curate", str(source), "--out", str(out), "--dask", many])
    assert result.exit_code == 2, result.output
    assert f"at most {_cores()} local workers" in " ".join(result.output.split())
    assert not out.exists()


@pytest.mark.slow
def test_ctrl_c_at_a_terminal_stops_a_local_cluster_run_with_one_line(tmp_path: Path) -> None:
    """Ctrl-C reaches the whole foreground process group, workers included: the run still
    ends with its one line and exit 130, no worker's traceback, no worker left, nothing written."""
    import os
    import signal

    import psutil

    source = write_jsonl(tmp_path / "in.jsonl", mixed_corpus(60_000))
    out = tmp_path / "out.jsonl"

    def in_own_group_with_default_sigint() -> None:  # as a shell starts a foreground job
        os.setsid()
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    with open(tmp_path / "err.log", "wb") as err:
        run = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pipeline.cli",
                "curate",
                str(source),
                "--out",
                str(out),
                "--dask",
                "local:2",
            ],
            stdout=subprocess.DEVNULL,
            stderr=err,
            preexec_fn=in_own_group_with_default_sigint,
        )
    try:
        deadline = time.monotonic() + 120
        workers: list[psutil.Process] = []
        while len(workers) < 2:  # both worker processes started: preparing is under way
            assert run.poll() is None, (tmp_path / "err.log").read_text()
            assert time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.2)
            workers = [
                child
                for child in psutil.Process(run.pid).children(recursive=True)
                if "spawn_main" in " ".join(child.cmdline())
            ]
        time.sleep(3.0)
        assert run.poll() is None, "the run ended before Ctrl-C: it tested nothing"
        os.killpg(run.pid, signal.SIGINT)
        assert run.wait(timeout=60) == 130
        printed = (tmp_path / "err.log").read_text()
        assert printed.strip().splitlines() == ["seedforge: stopped by SIGINT; exit 130"], printed
        assert not any(worker.is_running() and worker.status() != psutil.STATUS_ZOMBIE for worker in workers)
        assert not out.exists()
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
