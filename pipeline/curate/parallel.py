"""Preparing records (parsing, the per-record steps, features) in worker processes, in file
order, while the calling process makes the order-dependent decisions: on 2 cores the two
halves overlap. With jobs=0 everything runs in the calling process.

`stream_prepared` is the part every way of preparing shares (the process pool here, a Dask
cluster in `on_dask`): chunks in file order, a bounded number in flight so memory stays flat,
and the first bad record stopping the run once every record before it is decided."""

from __future__ import annotations

import itertools
import multiprocessing
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.curate.config import CurateConfig
from pipeline.curate.io import SourceRecord, read_items, to_record
from pipeline.curate.prepare import PreparedRecord, Preparer
from pipeline.errors import SeedforgeError

CHUNK = 256  # records per task: large enough to hide the hand-over, small enough to stream
IN_FLIGHT = 4  # chunks handed out ahead of the one being decided

Chunk = list[tuple[int, Any]]  # (line, parsed JSON) in file order
# a chunk's prepared records (or the message of its first bad one), and the seconds it took
Prepared = tuple[list[tuple[int, Any, PreparedRecord | str]], float]
Submit = Callable[[str, Chunk], Callable[[], Prepared]]  # hands a chunk out; returns its waiter


@dataclass
class PrepareStats:
    """Where preparing happened and what it cost, for the report."""

    where: str = "this process"
    workers: int = 0
    chunks: int = 0
    worker_seconds: float = 0.0  # preparing chunks, summed over the workers
    waited_seconds: float = 0.0  # the caller blocked on the next prepared chunk

    def as_dict(self) -> dict[str, Any]:
        return {
            "where": self.where,
            "workers": self.workers,
            "chunks": self.chunks,
            "worker_seconds": round(self.worker_seconds, 3),
            "waited_seconds": round(self.waited_seconds, 3),
        }


def prepare_chunk(preparer: Preparer, path: str, chunk: Chunk) -> Prepared:
    """Prepared records, or the error message (naming file and line) of the first bad one."""
    started = time.perf_counter()
    done: list[tuple[int, Any, PreparedRecord | str]] = []
    for line, raw in chunk:
        try:
            done.append((line, raw, preparer.prepare(to_record(raw, Path(path), line))))
        except SeedforgeError as exc:
            done.append((line, raw, str(exc)))
            break
    return done, time.perf_counter() - started


def stream_prepared(
    path: str | Path, submit: Submit, in_flight: int, stats: PrepareStats
) -> Iterator[tuple[SourceRecord, PreparedRecord]]:
    pending: deque[Callable[[], Prepared]] = deque()
    items = read_items(path)
    exhausted, read_error = False, None
    while True:
        while not exhausted and len(pending) < in_flight:
            chunk: Chunk = []
            try:
                chunk.extend(itertools.islice(items, CHUNK))
            except SeedforgeError as exc:  # raised once the lines before it are decided
                read_error = exc
            exhausted = read_error is not None or len(chunk) < CHUNK
            if chunk:
                pending.append(submit(str(path), chunk))
        if not pending:
            break
        started = time.perf_counter()
        done, seconds = pending.popleft()()
        stats.waited_seconds += time.perf_counter() - started
        stats.chunks += 1
        stats.worker_seconds += seconds
        for line, raw, result in done:
            if isinstance(result, str):
                raise SeedforgeError(result)
            yield SourceRecord(line, raw, result.record), result
    if read_error is not None:
        raise read_error


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
        for line, raw in read_items(path):
            record = to_record(raw, Path(path), line)
            yield SourceRecord(line, raw, record), preparer.prepare(record)
        return
    stats.where, stats.workers = "process pool", jobs
    args = (preparer.config.model_dump(mode="json"), preparer.steps, preparer.signer is not None)
    context = multiprocessing.get_context("spawn")  # no inherited locks or caches of the parent
    with context.Pool(jobs, initializer=_start_worker, initargs=args) as pool:

        def submit(path: str, chunk: Chunk) -> Callable[[], Prepared]:
            return pool.apply_async(_prepare_chunk, (path, chunk)).get

        yield from stream_prepared(path, submit, max(IN_FLIGHT, 2 * jobs), stats)
