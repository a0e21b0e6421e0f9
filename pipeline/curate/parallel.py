"""Preparing records (parsing, the per-record steps, features) in worker processes, in file
order, while the calling process makes the order-dependent decisions: on 2 cores the two
halves overlap. With jobs=0 everything runs in the calling process."""

from __future__ import annotations

import itertools
import multiprocessing
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pipeline.curate.config import CurateConfig
from pipeline.curate.io import SourceRecord, read_items, to_record
from pipeline.curate.prepare import PreparedRecord, Preparer
from pipeline.errors import SeedforgeError

CHUNK = 256  # records per task: large enough to hide the hand-over, small enough to stream
IN_FLIGHT = 4  # chunks handed out ahead of the one being decided

_worker: Preparer | None = None


def _start_worker(config: dict[str, Any], steps: tuple[str, ...], signatures: bool) -> None:
    global _worker
    _worker = Preparer(CurateConfig.model_validate(config), steps, signatures)


def _prepare_chunk(path: str, chunk: list[tuple[int, Any]]) -> list[tuple[int, Any, PreparedRecord | str]]:
    """Prepared records, or the error message (naming file and line) of the first bad one."""
    assert _worker is not None
    done: list[tuple[int, Any, PreparedRecord | str]] = []
    for line, raw in chunk:
        try:
            done.append((line, raw, _worker.prepare(to_record(raw, Path(path), line))))
        except SeedforgeError as exc:
            done.append((line, raw, str(exc)))
            break
    return done


def prepared_records(
    path: str | Path, preparer: Preparer, jobs: int
) -> Iterator[tuple[SourceRecord, PreparedRecord]]:
    if jobs <= 0:
        for line, raw in read_items(path):
            record = to_record(raw, Path(path), line)
            yield SourceRecord(line, raw, record), preparer.prepare(record)
        return
    args = (preparer.config.model_dump(mode="json"), preparer.steps, preparer.signer is not None)
    context = multiprocessing.get_context("spawn")  # no inherited locks or caches of the parent
    with context.Pool(jobs, initializer=_start_worker, initargs=args) as pool:
        pending: deque[Any] = deque()
        items = read_items(path)
        exhausted, read_error = False, None
        while True:
            while not exhausted and len(pending) < IN_FLIGHT:
                chunk: list[tuple[int, Any]] = []
                try:
                    chunk.extend(itertools.islice(items, CHUNK))
                except SeedforgeError as exc:  # raised once the lines before it are decided
                    read_error = exc
                exhausted = read_error is not None or len(chunk) < CHUNK
                if chunk:
                    pending.append(pool.apply_async(_prepare_chunk, (str(path), chunk)))
            if not pending:
                break
            for line, raw, result in pending.popleft().get():
                if isinstance(result, str):
                    raise SeedforgeError(result)
                yield SourceRecord(line, raw, result.record), result
        if read_error is not None:
            raise read_error
