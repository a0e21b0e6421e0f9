"""Curate a file of records into kept / rejected / report files, streaming: records are read,
decided and written one at a time, so memory grows only with the indexes of kept texts.
Nothing is half-written: outputs appear together at the end, and a persistent index gains
this build only after they have."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.curate.collection import PacedCollection
from pipeline.curate.config import CurateConfig
from pipeline.curate.curator import Curator, index_fingerprint
from pipeline.curate.index import CurationIndex, DiskIndex
from pipeline.curate.index_location import index_location_for as index_location_for
from pipeline.curate.index_location import is_redis_location
from pipeline.curate.io import RecordWriter, SourceRecord, plain_or_full
from pipeline.curate.parallel import PrepareStats, prepared_records
from pipeline.curate.prepare import PreparedRecord, Preparer
from pipeline.errors import SeedforgeError
from pipeline.io import AtomicFiles
from pipeline.records import SeedTask, utc_now
from pipeline.user_files import check_output_files

if TYPE_CHECKING:
    from distributed import Client

PROGRESS_EVERY = 10_000
PARALLEL_FROM_BYTES = 4 << 20  # below this, starting a worker costs more than it saves


def default_jobs(source: str | Path) -> int:
    """One worker process beside this one when there are two cores and enough work."""
    big = Path(source).is_file() and Path(source).stat().st_size >= PARALLEL_FROM_BYTES
    return 1 if big and (os.cpu_count() or 1) >= 2 else 0


def open_index(location: str, config: CurateConfig) -> CurationIndex:
    """A directory (on disk, the default) or a Redis URL (`redis://`, `rediss://`, `unix://`;
    see `pipeline.curate.index_redis`), checked now: a server that cannot be reached or refuses
    the password raises a `SeedforgeError` here, before anything is generated."""
    if is_redis_location(location):
        from pipeline.curate.index_redis import RedisIndex

        return RedisIndex(location, index_fingerprint(config), config.minhash)
    return DiskIndex(location, index_fingerprint(config))


def _prepared(
    source: str | Path, preparer: Preparer, jobs: int | None, client: Client | None, stats: PrepareStats
) -> Iterator[tuple[SourceRecord, PreparedRecord]]:
    if client is not None:
        from pipeline.curate.on_dask import dask_prepared_records

        return dask_prepared_records(source, preparer, client, stats)
    return prepared_records(source, preparer, default_jobs(source) if jobs is None else jobs, stats)


def curate_file(
    source: str | Path,
    out: str | Path,
    config: CurateConfig,
    *,
    rejected: str | Path | None = None,
    report: str | Path | None = None,
    index: str | None = None,
    seed_tasks: Sequence[SeedTask] = (),
    build: str | None = None,
    jobs: int | None = None,
    dask: str | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """`seed_tasks`: references every record must be novel against (kept, never written);
    `jobs`: worker processes that prepare records (None: one when it pays, 0: none);
    `dask`: prepare them on a Dask cluster instead (`local`, `local:N`, `tcp://HOST:PORT`),
    connected before anything else is done."""
    if dask is not None and jobs:
        raise SeedforgeError(f"--jobs {jobs} and --dask {dask}: choose one way to prepare records")
    # --out may be the input itself (outputs replace it only at the end); side outputs may not
    if rejected is None and Path(out).resolve() == Path(source).resolve():
        raise SeedforgeError(
            "--out is the input file: curating in place needs --rejected FILE, or the records "
            "curation drops would be left nowhere",
            path=out,
        )
    check_output_files({"--out": out, "--rejected": rejected, "--report": report}, {})
    check_output_files({"--rejected": rejected, "--report": report}, {"input": source})
    with ExitStack() as stack:
        client = None
        if dask is not None:
            from pipeline.curate.on_dask import dask_client

            client = stack.enter_context(dask_client(dask))
        return _curate(
            source, out, config, rejected, report, index, seed_tasks, build, jobs, client, on_progress
        )


def _curate(
    source: str | Path,
    out: str | Path,
    config: CurateConfig,
    rejected: str | Path | None,
    report: str | Path | None,
    index: str | None,
    seed_tasks: Sequence[SeedTask],
    build: str | None,
    jobs: int | None,
    client: Client | None,
    on_progress: Callable[[int, int], None] | None,
) -> dict[str, Any]:
    store = open_index(index, config) if index else None
    curator = Curator(config, index=store)
    curator.add_seeds(seed_tasks)
    try:
        with AtomicFiles() as outputs, PacedCollection() as paced:
            kept = RecordWriter(outputs.open(out), out)
            dropped = RecordWriter(outputs.open(rejected), rejected) if rejected else None
            stats = PrepareStats()
            for source_record, prepared in _prepared(source, curator.preparer, jobs, client, stats):
                paced.tick()
                decision = curator.decide_prepared(prepared)
                if decision.rejected is None:
                    kept.write(plain_or_full(source_record, decision.record))
                elif dropped is not None:
                    row = {**decision.rejected.model_dump(mode="json"), "line": source_record.line}
                    dropped.write(row)
                if on_progress and curator.seen % PROGRESS_EVERY == 0:
                    on_progress(curator.seen, curator.report.kept)
            if not curator.seen:  # an empty or blank file: most likely a mistake upstream
                raise SeedforgeError("no records to curate: the file holds none", path=source)
            kept.close()
            if dropped is not None:
                dropped.close()
            summary = {
                "input": str(source),
                "output": str(out),
                "rejected_file": str(rejected) if rejected else None,
                "finished_at": utc_now(),
                "config": config.model_dump(mode="json"),
                **curator.report.as_dict(),
                "preparing": stats.as_dict(),
            }
            if store is not None:
                summary["index"] = {
                    "location": store.location,
                    "earlier_builds": [b["name"] for b in store.builds()],
                }
            if report:
                outputs.open(report).write(json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
            outputs.commit()
    except BaseException:
        if store is not None:
            store.abort()
        raise
    if store is not None:
        summary["index"]["committed"] = store.commit(build or f"{Path(out).stem}-{utc_now()}")
    return summary
