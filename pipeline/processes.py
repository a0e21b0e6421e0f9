"""Child processes and termination signals: whatever ends a command, no child outlives it.

- Every long-lived child (the embedded llama.cpp server) is `track`ed while it runs and
  stopped with `stop_process`: SIGTERM, a bounded wait, then SIGKILL.
- `handle_signals` (installed by the `seedforge` entry point, `pipeline/cli.py`) turns SIGTERM
  and SIGHUP into `Terminated`, a KeyboardInterrupt, raised in the main thread as Ctrl-C's
  is: `with` blocks and `finally` clauses unwind, so a `with EmbeddedServer(...)` stops its
  server, and whatever handles Ctrl-C (a training checkpoint) handles them too. A second
  signal while that runs kills every child at once and exits immediately.
- The command then exits with `exit_code(signum)`, 128 + the signal's number: 130 for SIGINT,
  143 for SIGTERM, 129 for SIGHUP (`EXIT_CODES`).
- Last resorts: an `atexit` hook stops every child still tracked, and on Linux each child is
  started with `die_with_parent` (PR_SET_PDEATHSIG), so even `kill -9` of seedforge takes it
  down.

Imports no other pipeline module, so any part may use it.
"""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType

EXIT_SIGINT = 128 + signal.SIGINT  # 130
EXIT_SIGTERM = 128 + signal.SIGTERM  # 143
EXIT_SIGHUP = 128 + signal.SIGHUP  # 129
EXIT_CODES = {signal.SIGINT: EXIT_SIGINT, signal.SIGTERM: EXIT_SIGTERM, signal.SIGHUP: EXIT_SIGHUP}
HANDLED_SIGNALS = tuple(EXIT_CODES)
STOP_TIMEOUT_S = 5.0  # how long a child gets to exit on SIGTERM before SIGKILL
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def exit_code(signum: int) -> int:
    """The shell's convention: 128 + the signal's number."""
    return 128 + int(signum)


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised in the main thread the way SIGINT raises KeyboardInterrupt."""

    def __init__(self, signum: int):
        super().__init__(f"terminated by {signal.Signals(signum).name}")
        self.signum = int(signum)


@dataclass(frozen=True)
class Child:
    process: subprocess.Popen[bytes]
    started: float  # time.time() when it was tracked
    name: str


_children: dict[int, Child] = {}
_children_lock = threading.Lock()


def _forget_after_fork() -> None:
    """A forked child (a multiprocessing worker) must never stop its parent's children."""
    global _children_lock
    _children.clear()
    _children_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_after_fork)


def track(process: subprocess.Popen[bytes], name: str = "") -> None:
    """Remember a running child until `untrack`; `stop_children` and exit stop it."""
    with _children_lock:
        _children[process.pid] = Child(process, time.time(), name or str(process.args))


def untrack(process: subprocess.Popen[bytes]) -> None:
    with _children_lock:
        _children.pop(process.pid, None)


def tracked() -> list[Child]:
    with _children_lock:
        return list(_children.values())


def stop_process(process: subprocess.Popen[bytes], timeout_s: float = STOP_TIMEOUT_S) -> int:
    """SIGTERM, wait up to `timeout_s`, then SIGKILL; returns the exit status. Untracks it."""
    try:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                process.kill()
        return process.wait()
    finally:
        untrack(process)


def stop_children(*, started_since: float | None = None, timeout_s: float = STOP_TIMEOUT_S) -> list[int]:
    """Stop every tracked child (or those tracked at or after `started_since`, a time.time()):
    SIGTERM to all first, one shared wait, then SIGKILL. Returns their pids."""
    chosen = [c for c in tracked() if started_since is None or c.started >= started_since]
    for child in chosen:
        if child.process.poll() is None:
            try:
                child.process.terminate()
            except OSError:
                pass
    deadline = time.monotonic() + timeout_s
    for child in chosen:
        try:
            child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.process.kill()
            child.process.wait()
        untrack(child.process)
    return [c.process.pid for c in chosen]


def direct_children() -> list[int]:
    """The pids of this process's children that are still running, from /proc (Linux; empty
    elsewhere): also those started by libraries (Prefect's temporary API server)."""
    me, found = os.getpid(), []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == me and fields[0] != b"Z":
            found.append(int(entry))
    return found


def _kill_children_now() -> None:
    """From a signal handler, before exiting at once: SIGKILL every tracked child and SIGTERM
    every other child; no waiting, and no lock (the interrupted main thread may hold it)."""
    mine = {pid: child for pid, child in list(_children.items())}
    for child in mine.values():
        try:
            child.process.kill()
        except OSError:
            pass
    for pid in direct_children():
        if pid not in mine:
            try:
                os.kill(pid, signal.SIGTERM)
            except OSError:
                pass


atexit.register(stop_children)


def die_with_parent(signum: int = signal.SIGTERM) -> Callable[[], None] | None:
    """A `preexec_fn` for Popen that makes the child receive `signum` when its parent dies,
    even by SIGKILL (Linux's PR_SET_PDEATHSIG); None where that does not exist. SIGTERM lets a
    child that has children of its own stop them; SIGKILL suits a child with nothing to save
    whose graceful stop would wait for answers no one will read.

    Linux sends it when the *thread* that started the child ends, so start such a child from
    a thread that outlives it (a `with` block around it does)."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def preexec() -> None:  # runs in the forked child, before exec
        prctl(PR_SET_PDEATHSIG, int(signum), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the line above: go now
            os._exit(1)

    return preexec


@dataclass
class SignalState:
    """What `handle_signals` saw: the first handled signal, if any."""

    received: int | None = None

    @property
    def exit_code(self) -> int | None:
        return None if self.received is None else exit_code(self.received)


def signal_behind(error: BaseException | None) -> int | None:
    """The signal an exception stands for, looking through what it was raised while handling:
    ours (`Terminated`, KeyboardInterrupt), or a library's that caught the signal first (Prefect's
    flow engine turns SIGTERM into `TerminationSignal`, whose crash handling may then raise
    something else)."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, Terminated):
            return error.signum
        number = getattr(error, "signal", None)
        if isinstance(number, int) and number in HANDLED_SIGNALS:
            return number
        if isinstance(error, KeyboardInterrupt):
            return int(signal.SIGINT)
        error = error.__cause__ or error.__context__
    return None


@contextmanager
def handle_signals() -> Iterator[SignalState]:
    """While the block runs (in the main thread), SIGINT raises KeyboardInterrupt and SIGTERM /
    SIGHUP raise `Terminated`; a second signal kills every child and exits with `exit_code` at
    once. Ignored signals stay ignored; outside the main thread it installs nothing."""
    state = SignalState()
    if threading.current_thread() is not threading.main_thread():
        yield state
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        if state.received is not None:  # cleanup is under way and someone insists
            _kill_children_now()
            os._exit(exit_code(state.received))
        state.received = signum
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise Terminated(signum)

    # a signal ignored since the process started (nohup, a background job) stays ignored
    previous = {
        signum: signal.signal(signum, handler)
        for signum in HANDLED_SIGNALS
        if signal.getsignal(signum) is not signal.SIG_IGN
    }
    try:
        yield state
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)
