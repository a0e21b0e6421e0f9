"""Signals stop every child process (pipeline/processes.py): real signals to real processes.

Fast: the registry, stop_process's escalation, PR_SET_PDEATHSIG, and the `seedforge` entry
point's exit codes, with `sleep` as the child. Slow: `seedforge llm serve` and `seedforge build`
with the real embedded llama.cpp server, stopped by SIGTERM, SIGINT and kill -9."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from pipeline.llm.embedded import free_port
from pipeline.processes import (
    EXIT_SIGHUP,
    EXIT_SIGINT,
    EXIT_SIGTERM,
    die_with_parent,
    direct_children,
    stop_children,
    stop_process,
    track,
    tracked,
)

REPO = Path(__file__).resolve().parents[2]
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE  # exited, not yet reaped
    except psutil.NoSuchProcess:
        return True


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def read_line(process: subprocess.Popen[str], timeout: float = 60) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    line = process.stdout.readline()
    assert line and time.monotonic() < deadline, f"no output (exit {process.poll()})"
    return line.strip()


# --- fast: the module itself -------------------------------------------------------------


def test_stop_process_escalates_to_sigkill_and_untracks() -> None:
    stubborn = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
            "print('ready', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
    )
    track(stubborn, "stubborn")
    assert stubborn.stdout is not None and stubborn.stdout.readline().strip() == b"ready"
    started = time.monotonic()
    assert stop_process(stubborn, timeout_s=0.5) == -signal.SIGKILL
    assert time.monotonic() - started < 5
    assert stubborn.pid not in [c.process.pid for c in tracked()]


def test_stop_children_stops_only_those_started_since() -> None:
    older = subprocess.Popen(["sleep", "60"])
    track(older, "older")
    since = time.time()
    newer = [subprocess.Popen(["sleep", "60"]) for _ in range(2)]
    for process in newer:
        track(process, "newer")
    try:
        stopped = stop_children(started_since=since, timeout_s=5)
        assert sorted(stopped) == sorted(p.pid for p in newer)
        assert all(p.poll() == -signal.SIGTERM for p in newer) and older.poll() is None
    finally:
        stop_process(older)
    assert not [c for c in tracked() if c.name in ("older", "newer")]


def test_direct_children_lists_running_children() -> None:
    child = subprocess.Popen(["sleep", "60"])
    try:
        assert child.pid in direct_children()
    finally:
        stop_process(child)
    assert child.pid not in direct_children()


PARENT = """
import subprocess, sys, time
from pipeline.processes import die_with_parent
child = subprocess.Popen(["sleep", "120"], preexec_fn=die_with_parent())
print(child.pid, flush=True)
time.sleep(120)
"""


@linux_only
def test_a_child_dies_with_its_parent_even_on_sigkill() -> None:
    assert die_with_parent() is not None
    parent = subprocess.Popen([sys.executable, "-c", PARENT], cwd=REPO, stdout=subprocess.PIPE, text=True)
    child = int(read_line(parent))
    assert not gone(child)
    parent.kill()
    parent.wait()
    wait_until(lambda: gone(child), 5, "the orphan to get SIGTERM")


DEAF_PARENT = """
import signal, subprocess, sys, time
from pipeline.processes import die_with_parent
deaf = [
    sys.executable, "-c", "import signal as s, time; s.signal(s.SIGTERM, s.SIG_IGN); time.sleep(120)"
]
child = subprocess.Popen(deaf, preexec_fn=die_with_parent(signal.SIGKILL))
print(child.pid, flush=True)
time.sleep(120)
"""


@linux_only
def test_a_child_that_would_finish_its_work_first_can_be_killed_outright() -> None:
    # the embedded server's case: on SIGTERM it finished the requests in flight, for no reader
    parent = subprocess.Popen(
        [sys.executable, "-c", DEAF_PARENT], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    child = int(read_line(parent))
    time.sleep(0.5)  # its SIGTERM handler is in place
    parent.kill()
    parent.wait()
    wait_until(lambda: gone(child), 5, "the orphan to get SIGKILL")


def test_the_embedded_server_is_killed_outright_when_seedforge_dies(monkeypatch: pytest.MonkeyPatch) -> None:
    import pipeline.llm.embedded as embedded

    asked: list[int] = []
    monkeypatch.setattr(embedded, "die_with_parent", lambda signum=signal.SIGTERM: asked.append(signum))
    monkeypatch.setattr(embedded.subprocess, "Popen", lambda *a, **k: (_ for _ in ()).throw(OSError("stop")))
    with pytest.raises(OSError, match="stop"):
        embedded.EmbeddedServer(port=1).launch()
    assert asked == [signal.SIGKILL]


# The entry point's wrapper around a command that holds a tracked child in a `with` block (as
# `with EmbeddedServer(...)` does); --hang makes its clean-up hang until a second signal.
COMMAND = """
import signal, subprocess, sys, time
from contextlib import contextmanager
from pipeline.cli import SeedforgeApp
from pipeline.processes import die_with_parent, stop_process, track

app = SeedforgeApp(add_completion=False)

@contextmanager
def child():
    process = subprocess.Popen(["sleep", "120"], preexec_fn=die_with_parent())
    track(process, "sleep")
    try:
        yield process
    finally:
        if "--hang" in sys.argv:
            time.sleep(120)
        stop_process(process)

class LibrarySignal(BaseException):  # as Prefect's TerminationSignal: a library's own handler
    def __init__(self, signal):
        self.signal = signal

def library_handler(signum, frame):
    raise LibrarySignal(signum)

@app.command()
def main(hang: bool = False, library: bool = False) -> None:
    with child() as process:
        if library:  # the library catches SIGTERM first and fails while cleaning up after it
            signal.signal(signal.SIGTERM, library_handler)
        print(process.pid, flush=True)
        try:
            time.sleep(120)
        except LibrarySignal:
            raise ValueError("Task run is not set")

app()
"""


def _hangup_by_default() -> None:
    # the command keeps a SIGHUP ignored since it started (nohup), as it should; a suite run
    # under nohup must not hand that on to the command these tests hang up
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


def run_command(*args: str, **popen: object) -> tuple[subprocess.Popen[str], int]:
    popen.setdefault("preexec_fn", _hangup_by_default)
    process = subprocess.Popen(
        [sys.executable, "-c", COMMAND, *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,  # type: ignore[call-overload]
    )
    return process, int(read_line(process))


@pytest.mark.parametrize(
    ("signum", "code"),
    [(signal.SIGTERM, EXIT_SIGTERM), (signal.SIGINT, EXIT_SIGINT), (signal.SIGHUP, EXIT_SIGHUP)],
    ids=["SIGTERM", "SIGINT", "SIGHUP"],
)
def test_a_signal_unwinds_the_command_stops_its_child_and_sets_the_exit_code(signum: int, code: int) -> None:
    process, child = run_command()
    started = time.monotonic()
    process.send_signal(signum)
    assert process.wait(timeout=20) == code
    assert time.monotonic() - started < 10
    assert gone(child)
    assert process.stderr is not None
    assert f"stopped by {signal.Signals(signum).name}" in process.stderr.read()


def test_a_signal_a_library_caught_first_still_sets_the_exit_code() -> None:
    process, child = run_command("--library")
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == EXIT_SIGTERM
    assert gone(child)


def test_the_signal_behind_an_exception_is_found_through_its_context() -> None:
    from pipeline.processes import Terminated, signal_behind

    class LibrarySignal(BaseException):
        def __init__(self, number: int) -> None:
            self.signal = number

    try:
        try:
            raise LibrarySignal(signal.SIGTERM)
        except LibrarySignal:
            raise ValueError("Task run is not set")  # noqa: B904
    except ValueError as error:
        assert signal_behind(error) == signal.SIGTERM
    assert signal_behind(Terminated(signal.SIGHUP)) == signal.SIGHUP
    assert signal_behind(KeyboardInterrupt()) == signal.SIGINT
    assert signal_behind(ValueError("plain")) is None


def test_a_second_signal_kills_the_children_and_exits_at_once() -> None:
    process, child = run_command("--hang")
    process.send_signal(signal.SIGTERM)
    time.sleep(0.5)  # the first one is being handled: clean-up hangs
    assert process.poll() is None and not gone(child)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == EXIT_SIGTERM
    wait_until(lambda: gone(child), 5, "the child to be killed")


def test_an_ignored_signal_stays_ignored() -> None:
    def ignore_sighup() -> None:
        signal.signal(signal.SIGHUP, signal.SIG_IGN)

    process, child = run_command(preexec_fn=ignore_sighup)
    process.send_signal(signal.SIGHUP)  # as under nohup
    time.sleep(0.5)
    assert process.poll() is None
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == EXIT_SIGTERM and gone(child)


# --- slow: the real embedded server --------------------------------------------------------


def llama_servers(port: int | None = None) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["cmdline"]):
        cmdline = process.info["cmdline"] or []
        if "llama_cpp.server" in cmdline and (port is None or str(port) in cmdline):
            if not gone(process.pid):
                found.append(process)
    return found


def answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def serve(port: int, tmp_path: Path) -> subprocess.Popen[bytes]:
    log = open(tmp_path / "serve.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "llm", "serve", "--port", str(port)],
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # the test's signals reach only the parent
    )
    log.close()
    wait_until(lambda: answers(port) or process.poll() is not None, 120, "the server")
    assert process.poll() is None, (tmp_path / "serve.log").read_text()
    assert len(llama_servers(port)) == 1
    return process


def cleanup(process: subprocess.Popen[bytes], port: int) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    for leftover in llama_servers(port):
        leftover.kill()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("signum", "code"),
    [(signal.SIGTERM, EXIT_SIGTERM), (signal.SIGINT, EXIT_SIGINT)],
    ids=["SIGTERM", "SIGINT"],
)
def test_llm_serve_stops_its_server_on_a_signal(signum: int, code: int, tmp_path: Path) -> None:
    port = free_port()
    process = serve(port, tmp_path)
    try:
        started = time.monotonic()
        process.send_signal(signum)
        assert process.wait(timeout=30) == code
        assert time.monotonic() - started < 10
        assert not answers(port)
        assert not llama_servers(port)
        assert f"stopped by {signal.Signals(signum).name}" in (tmp_path / "serve.log").read_text()
    finally:
        cleanup(process, port)


@pytest.mark.slow
@linux_only
def test_llm_serve_killed_with_sigkill_takes_its_server_down(tmp_path: Path) -> None:
    port = free_port()
    process = serve(port, tmp_path)
    try:
        process.kill()
        process.wait()
        wait_until(lambda: not llama_servers(port), 15, "the orphaned server to exit")
        assert not answers(port)
    finally:
        cleanup(process, port)


def journaled_answers(data: Path) -> int:
    total = 0
    for journal in data.rglob("journal*.sqlite3"):
        try:
            with sqlite3.connect(journal, timeout=5) as conn:
                total += conn.execute("SELECT COUNT(*) FROM requests WHERE status = 'answered'").fetchone()[0]
        except sqlite3.OperationalError:
            pass
    return total


@pytest.mark.slow
def test_build_sigterm_mid_generation_leaves_no_child_and_no_partial_version(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    config = tmp_path / "sigterm.yaml"
    config.write_text(
        textwrap.dedent(
            f"""\
            name: sigterm
            llm: {{base_url: null, max_tokens: 160, concurrency: 1}}
            generate: {{seeds: '{REPO / "seeds" / "seed_tasks_en.jsonl"}', target: 40, max_requests: 200}}
            exports: [jsonl]
            """
        ),
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "OPENAI_"))}
    env.update(
        SEEDFORGE_DATA_DIR=str(data),
        PREFECT_HOME=str(tmp_path / "prefect"),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="120",
    )
    log_path = tmp_path / "build.log"
    with open(log_path, "wb") as log:
        build = subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", "build", str(config)],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    seen: dict[int, str] = {}  # every descendant ever seen: Prefect's API server, llama.cpp

    def generating() -> bool:
        assert build.poll() is None, log_path.read_text()[-3000:]
        for child in psutil.Process(build.pid).children(recursive=True):
            try:
                seen[child.pid] = " ".join(child.cmdline())  # again: a fork execs later
            except psutil.NoSuchProcess:
                pass
        return journaled_answers(data) >= 1

    try:
        wait_until(generating, 240, "the first answer")
        assert any("llama_cpp.server" in cmd for cmd in seen.values()), seen
        started = time.monotonic()
        build.send_signal(signal.SIGTERM)
        assert build.wait(timeout=60) == EXIT_SIGTERM, log_path.read_text()[-12000:]
        assert time.monotonic() - started < 30
        left = {pid: cmd for pid, cmd in seen.items() if not gone(pid)}
        assert not left, f"still running: {left}"
        datasets = data / "datasets"
        assert not list(datasets.glob("sigterm/v*")), "a version directory was written"
        temp = [p for p in datasets.rglob(".*") if p.name.startswith((".tmp-", ".staging-", ".old-"))]
        assert not temp, f"temporary files left: {temp}"
    finally:
        if build.poll() is None:
            os.killpg(build.pid, signal.SIGKILL)
            build.wait()
        for pid in seen:
            if not gone(pid):
                psutil.Process(pid).kill()


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_generate_stopped_mid_generation_leaves_no_server_and_no_output(signum: int, tmp_path: Path) -> None:
    """The same without Prefect: the signal lands in the request loop (asyncio)."""
    data, out = tmp_path / "data", tmp_path / "out" / "records.jsonl"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "OPENAI_"))}
    env["SEEDFORGE_DATA_DIR"] = str(data)
    command = [sys.executable, "-m", "pipeline.cli", "generate", "self-instruct"]
    command += ["--seeds", str(REPO / "seeds" / "seed_tasks_en.jsonl"), "--n", "40", "--out", str(out)]
    log_path = tmp_path / "generate.log"
    with open(log_path, "wb") as log:
        generate = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    seen: dict[int, str] = {}

    def generating() -> bool:
        assert generate.poll() is None, log_path.read_text()[-3000:]
        for child in psutil.Process(generate.pid).children(recursive=True):
            try:
                seen[child.pid] = " ".join(child.cmdline())
            except psutil.NoSuchProcess:
                pass
        return journaled_answers(data) >= 1

    try:
        wait_until(generating, 120, "the first answer")
        assert any("llama_cpp.server" in cmd for cmd in seen.values()), seen
        generate.send_signal(signum)
        assert generate.wait(timeout=30) == 128 + signum, log_path.read_text()[-3000:]
        left = {pid: cmd for pid, cmd in seen.items() if not gone(pid)}
        assert not left, f"still running: {left}"
        written = [p.name for p in out.parent.iterdir()] if out.parent.exists() else []
        assert "records.jsonl" not in written and not [n for n in written if n.startswith(".tmp-")]
    finally:
        if generate.poll() is None:
            os.killpg(generate.pid, signal.SIGKILL)
            generate.wait()
        for pid in seen:
            if not gone(pid):
                psutil.Process(pid).kill()


def test_a_forked_child_does_not_inherit_the_registry() -> None:
    sleeper = subprocess.Popen(["sleep", "60"])
    track(sleeper, "parent's")
    try:
        pid = os.fork()
        if pid == 0:  # the child: its exit must not stop the parent's tracked children
            os._exit(len(tracked()) + len(stop_children(timeout_s=1)))
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0 and sleeper.poll() is None
    finally:
        stop_process(sleeper)
