"""Preparing records (parsing, the per-record steps, features) in worker processes, in file
order, while the calling process makes the order-dependent decisions: on 2 cores the two
halves overlap. Whenever the oldest chunk handed out is not back yet, the calling process
prepares the next chunk itself instead of waiting, so neither core sits idle whichever half
is the slower one. With jobs=0 everything runs in the calling process.

`stream_prepared` is the part every way of preparing shares (the process pool here, a Dask
cluster in `on_dask`): chunks in file order, a bounded number in flight so memory stays flat,
and the first bad record stopping the run once every record before it is decided."""

from __future__ import annotations

import itertools
import multiprocessing
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from pipeline.curate.config import CurateConfig
from pipeline.curate.io import SourceRecord, read_items, to_record
from pipeline.curate.prepare import PreparedRecord, Preparer
from pipeline.errors import SeedforgeError

CHUNK = 256  # records per task: large enough to hide the hand-over, small enough to stream
IN_FLIGHT = 4  # chunks handed out ahead of the one being decided
SWITCH_SECONDS = 0.0002  # the interpreter's thread switch interval while a pool runs (see below)
HELP_AHEAD = 8  # further chunks the caller may hold: prepared by itself, or back and undecided

Chunk = list[tuple[int, Any]]  # (line, parsed JSON) in file order
# a chunk's prepared records in its order, up to the message of its first bad one (the caller
# still holds the chunk: its lines and JSON do not travel back), and the seconds it took
Prepared = tuple[list[PreparedRecord | str], float]


class Handed(Protocol):
    """A chunk handed out (a pool's `AsyncResult` is one)."""

    def ready(self) -> bool: ...
    def get(self) -> Prepared: ...


Submit = Callable[[str, Chunk], Handed]


@dataclass(frozen=True)
class _PreparedHere:
    prepared: Prepared

    def ready(self) -> bool:
        return True

    def get(self) -> Prepared:
        return self.prepared


@dataclass
class PrepareStats:
    """Where preparing happened and what it cost, for the report."""

    where: str = "this process"
    workers: int = 0
    chunks: int = 0
    worker_seconds: float = 0.0  # preparing chunks, summed over the workers
    waited_seconds: float = 0.0  # the caller blocked on the next prepared chunk
    chunks_here: int = 0  # prepared by the caller while the workers' next chunk was not back
    seconds_here: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "where": self.where,
            "workers": self.workers,
            "chunks": self.chunks,
            "worker_seconds": round(self.worker_seconds, 3),
            "waited_seconds": round(self.waited_seconds, 3),
            "chunks_here": self.chunks_here,
            "seconds_here": round(self.seconds_here, 3),
        }


def prepare_chunk(preparer: Preparer, path: str, chunk: Chunk) -> Prepared:
    """Prepared records, or the error message (naming file and line) of the first bad one."""
    started = time.perf_counter()
    records, bad = [], None
    source = Path(path)
    for line, raw in chunk:
        try:
            records.append(to_record(raw, source, line))
        except SeedforgeError as exc:
            bad = str(exc)
            break
    done: list[PreparedRecord | str] = list(preparer.prepare_batch(records))
    if bad is not None:
        done.append(bad)
    return done, time.perf_counter() - started


def stream_prepared(
    path: str | Path, submit: Submit, in_flight: int, stats: PrepareStats, helper: Preparer | None = None
) -> Iterator[tuple[SourceRecord, PreparedRecord]]:
    """Prepared records in file order. `helper`: the caller's own Preparer, used on the next
    unread chunk whenever the oldest chunk handed out is not ready; the caller then holds at
    most `in_flight + HELP_AHEAD` chunks in all, and the records still come in the file's order."""
    pending: deque[tuple[Chunk, Handed]] = deque()
    items = read_items(path)
    exhausted, read_error = False, None
    most = in_flight + HELP_AHEAD if helper is not None else in_flight  # chunks held at once

    def next_chunk() -> Chunk:
        nonlocal exhausted, read_error
        chunk: Chunk = []
        try:
            chunk.extend(itertools.islice(items, CHUNK))
        except SeedforgeError as exc:  # raised once the lines before it are decided
            read_error = exc
        exhausted = read_error is not None or len(chunk) < CHUNK
        return chunk

    def queued() -> int:
        """Chunks handed out and not back yet: the workers' backlog, kept at `in_flight`
        whatever the caller holds (prepared by itself, or back and not yet decided)."""
        return sum(not handed.ready() for _, handed in pending)

    try:
        while True:
            while not exhausted and len(pending) < most and queued() < in_flight:
                chunk = next_chunk()
                if chunk:
                    pending.append((chunk, submit(str(path), chunk)))
            if not pending:
                break
            if helper is not None and not exhausted and len(pending) < most and not pending[0][1].ready():
                chunk = next_chunk()
                if chunk:
                    prepared = prepare_chunk(helper, str(path), chunk)
                    pending.append((chunk, _PreparedHere(prepared)))
                    stats.chunks_here += 1
                    stats.seconds_here += prepared[1]
                continue
            chunk, handed = pending.popleft()
            started = time.perf_counter()
            done, seconds = handed.get()
            if not isinstance(handed, _PreparedHere):
                stats.waited_seconds += time.perf_counter() - started
                stats.chunks += 1
                stats.worker_seconds += seconds
            for (line, raw), result in zip(chunk, done, strict=False):  # `done` stops at a bad one
                if isinstance(result, str):
                    raise SeedforgeError(result)
                yield SourceRecord(line, raw, result.record), result
    except BaseException as exc:
        if not isinstance(exc, KeyboardInterrupt):  # Ctrl-C: the workers got it too
            _settle(pending)
        raise
    if read_error is not None:
        raise read_error


def _settle(pending: deque[tuple[Chunk, Handed]], timeout: float = 60.0) -> None:
    """Let the chunks in flight come back before the workers are torn down (a bad record, an
    error in the caller): a pool worker terminated while it sends a result can leave the pool's
    result thread blocked on a half-read message, and the command hung there for good."""
    deadline = time.monotonic() + timeout
    for _, handed in pending:
        wait = getattr(handed, "wait", None)  # a pool's AsyncResult; Dask futures need nothing
        if wait is not None:
            wait(max(0.0, deadline - time.monotonic()))


_worker: Preparer | None = None


def _start_worker(config: dict[str, Any], steps: tuple[str, ...], signatures: bool) -> None:
    global _worker
    _worker = Preparer(CurateConfig.model_validate(config), steps, signatures)


def _prepare_chunk(path: str, chunk: Chunk) -> Prepared:
    assert _worker is not None
    return prepare_chunk(_worker, path, chunk)


def prepared_records(
    path: str | Path, preparer: Preparer, jobs: int, stats: PrepareStats | None = None
) -> Iterator[tuple[SourceRecord, PreparedRecord]]:
    stats = stats if stats is not None else PrepareStats()
    if jobs <= 0:

        def here(path: str, chunk: Chunk) -> Handed:
            return _PreparedHere(prepare_chunk(preparer, path, chunk))

        yield from stream_prepared(path, here, 1, stats)
        return
    stats.where, stats.workers = "process pool", jobs
    args = (preparer.config.model_dump(mode="json"), preparer.steps, preparer.signer is not None)
    context = multiprocessing.get_context("spawn")  # no inherited locks or caches of the parent
    with context.Pool(jobs, initializer=_start_worker, initargs=args) as pool:

        def submit(path: str, chunk: Chunk) -> Handed:
            return pool.apply_async(_prepare_chunk, (path, chunk))

        switching = sys.getswitchinterval()
        # The pool's threads here carry every chunk to and from the workers, a pipe's buffer at
        # a time, each time waiting for the interpreter lock that this thread holds while it
        # decides or prepares: at the default 5 ms the worker sat blocked on its pipe about a
        # third of the time
        sys.setswitchinterval(SWITCH_SECONDS)
        try:
            yield from stream_prepared(path, submit, max(IN_FLIGHT, 2 * jobs), stats, helper=preparer)
        finally:
            sys.setswitchinterval(switching)
