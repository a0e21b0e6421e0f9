"""Preparing in file order while the caller helps: whichever side prepares a chunk, the records
come out in the file's order, and a bad record stops the run where it stands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.curate import parallel
from pipeline.curate.config import CurateConfig
from pipeline.curate.parallel import Chunk, Handed, PrepareStats, prepare_chunk, stream_prepared
from pipeline.curate.prepare import Preparer
from pipeline.errors import SeedforgeError


def _records(count: int) -> list[dict[str, str]]:
    return [
        {
            "instruction": f"Explain topic number {n} in two sentences.",
            "input": "",
            "output": f"Topic {n} is fine.",
        }
        for n in range(count)
    ]


def _write(path: Path, rows: list[object]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


class _Late:
    """A chunk handed to a worker that answers only when asked to hand it over."""

    def __init__(self, preparer: Preparer, path: str, chunk: Chunk, log: list[str]):
        self.preparer, self.path, self.chunk, self.log = preparer, path, chunk, log

    def ready(self) -> bool:
        return False

    def get(self) -> parallel.Prepared:
        self.log.append("worker")
        return prepare_chunk(self.preparer, self.path, self.chunk)


class _Early(_Late):
    def ready(self) -> bool:
        return True


def _stream(
    path: Path, handle: type[_Late], helper: bool, log: list[str], stats: PrepareStats
) -> list[tuple[int, str]]:
    preparer = Preparer(CurateConfig(), ("filters", "output_checks"), signatures=False)

    def submit(where: str, chunk: Chunk) -> Handed:
        return handle(preparer, where, chunk, log)

    return [
        (source.line, prepared.record.instruction)  # type: ignore[union-attr]
        for source, prepared in stream_prepared(path, submit, 2, stats, helper=preparer if helper else None)
    ]


@pytest.fixture(autouse=True)
def _small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "CHUNK", 3)


def test_a_caller_that_would_wait_prepares_chunks_itself_in_file_order(tmp_path: Path) -> None:
    source = _write(tmp_path / "in.jsonl", _records(40))
    expected = [(n + 1, f"Explain topic number {n} in two sentences.") for n in range(40)]
    alone, helped, log = PrepareStats(), PrepareStats(), []
    assert _stream(source, _Late, False, [], alone) == expected
    assert _stream(source, _Late, True, log, helped) == expected
    assert alone.chunks_here == 0 and alone.chunks == 14
    assert helped.chunks_here > 0 and helped.chunks + helped.chunks_here == 14
    assert log.count("worker") == helped.chunks


def test_workers_that_keep_up_are_never_helped(tmp_path: Path) -> None:
    source = _write(tmp_path / "in.jsonl", _records(20))
    stats = PrepareStats()
    assert len(_stream(source, _Early, True, [], stats)) == 20
    assert stats.chunks_here == 0 and stats.chunks == 7


def test_a_bad_record_the_caller_prepared_stops_the_run_after_the_records_before_it(tmp_path: Path) -> None:
    rows: list[object] = list(_records(30))
    rows[20] = {"instruction": "no output here"}
    source = _write(tmp_path / "in.jsonl", rows)
    stats, seen = PrepareStats(), []
    preparer = Preparer(CurateConfig(), ("filters",), signatures=False)

    def submit(where: str, chunk: Chunk) -> Handed:
        return _Late(preparer, where, chunk, [])

    with pytest.raises(SeedforgeError, match=r"in\.jsonl:21"):
        for source_record, _prepared in stream_prepared(source, submit, 2, stats, helper=preparer):
            seen.append(source_record.line)
    assert seen == list(range(1, 21)) and stats.chunks_here > 0
