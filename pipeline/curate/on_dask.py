"""Preparing records on a `dask.distributed` cluster: a LocalCluster started for the run
(`local`, `local:N` workers) or an existing scheduler (`tcp://host:8786`). Only the per-record
half goes there (parsing, filters, output checks, PII, features, MinHash signatures); the
order-dependent decisions stay in the calling process, in file order, exactly as without Dask.

Workers of an existing cluster must have this version of seedforge installed: a task names
`pipeline.curate.on_dask._prepare_on_worker`, which the worker imports."""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.curate.config import CurateConfig
from pipeline.curate.io import SourceRecord
from pipeline.curate.parallel import (
    IN_FLIGHT,
    Chunk,
    Handed,
    Prepared,
    PrepareStats,
    prepare_chunk,
    stream_prepared,
)
from pipeline.curate.prepare import PreparedRecord, Preparer
from pipeline.errors import SeedforgeError

if TYPE_CHECKING:
    from distributed import Client

CONNECT_SECONDS = 5  # a scheduler that does not answer by then is taken as unreachable
SCHEMES = ("tcp://", "tls://", "ws://", "wss://", "inproc://", "ucx://")

_preparers: dict[str, Preparer] = {}  # per worker process: one Preparer per curation setup
_preparers_lock = threading.Lock()


def _local_workers(address: str) -> int | None:
    """N for `local:N` (the cores for `local`), None for a scheduler address."""
    if address == "local":
        return _cores()
    name, _, count = address.partition(":")
    if name != "local":
        return None
    if not count.isdigit() or int(count) < 1:
        raise SeedforgeError(f"--dask {address}: expected local, local:N (N >= 1 workers) or tcp://HOST:PORT")
    most = _cores()
    if int(count) > most:  # each worker is a single-threaded process with its own models
        raise SeedforgeError(
            f"--dask {address}: at most {most} local workers on this machine (one per CPU core); "
            "for more, start a cluster over several machines and give its scheduler's address"
        )
    return int(count)


def _cores() -> int:
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else os.cpu_count() or 1


def _connect(address: str) -> Client:
    """A client of the scheduler at `address`, or a SeedforgeError naming it. The connection is
    made in a thread with a deadline of its own: a port that accepts and never answers, or a
    server that is not a Dask scheduler (its bytes read as a message of absurd length), must
    not hang the run or end it in a traceback."""
    from distributed import Client

    outcome: dict[str, Any] = {}

    def connect() -> None:
        try:
            outcome["client"] = Client(address, timeout=CONNECT_SECONDS)  # type: ignore[no-untyped-call]
        except BaseException as exc:  # noqa: BLE001 — reported below, in the caller's thread
            outcome["error"] = exc

    thread = threading.Thread(target=connect, name="seedforge-dask-connect", daemon=True)
    thread.start()
    thread.join(CONNECT_SECONDS + 2)
    if "client" in outcome:
        return outcome["client"]  # type: ignore[no-any-return]
    error = outcome.get("error")
    if error is None or isinstance(error, (OSError, TimeoutError)):
        raise SeedforgeError(
            f"dask scheduler {address}: cannot connect within {CONNECT_SECONDS} s"
            + (f" ({error})" if error is not None else " (it accepted the connection but did not answer)")
        )
    raise SeedforgeError(
        f"dask scheduler {address}: what answers there is not a Dask scheduler "
        f"({type(error).__name__}: {str(error)[:200]})"
    )


@contextmanager
def _terminal_interrupts_ignored() -> Iterator[None]:
    """Worker processes started in here inherit SIGINT ignored (Python keeps an inherited
    SIG_IGN): Ctrl-C at a terminal reaches the whole process group, and each worker would
    die mid-task with a traceback while this process is closing the cluster in order. (A
    Ctrl-C in the second or two the workers take to start is not seen: press it again.)"""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers are the main thread's: a flow's worker thread cannot set them
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _silence_distributed() -> None:
    logging.getLogger("distributed").setLevel(logging.CRITICAL)


def _quiet_workers(client: Client) -> None:
    """Before an interrupted run closes its LocalCluster: workers stopped mid-task log a
    cancelled task and a lost heartbeat each, dozens of traceback lines after the one line
    that says why the run stopped. (This process's own `distributed` logs stay as they are:
    it may live on, as a Prefect `serve` does.)"""
    try:
        client.run(_silence_distributed, wait=True)
    except Exception:  # noqa: BLE001 — best effort while stopping: a worker gone has nothing to quiet
        pass


@contextmanager
def dask_client(address: str) -> Iterator[Client]:
    """A client of the cluster `address` names, with at least one worker; a LocalCluster is
    closed on leaving. An address that does not answer within CONNECT_SECONDS, or a cluster
    without workers, raises a `SeedforgeError` naming it, before any record is read."""
    workers = _local_workers(address)
    if workers is None and not address.startswith(SCHEMES):
        raise SeedforgeError(
            f"--dask {address}: expected local, local:N or a scheduler address like tcp://HOST:8786"
        )
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise SeedforgeError(
            f"--dask needs dask.distributed: pip install 'seedforge[dask]' ({exc})"
        ) from None
    if workers is not None:
        # one single-threaded process per worker: the per-record steps hold the GIL
        with _terminal_interrupts_ignored():
            cluster = LocalCluster(  # type: ignore[no-untyped-call]
                n_workers=workers, threads_per_worker=1, dashboard_address=None
            )
        with cluster, Client(cluster) as local:  # type: ignore[no-untyped-call]
            try:
                yield local
            except KeyboardInterrupt:  # Ctrl-C, SIGTERM, SIGHUP (`pipeline.processes`)
                _quiet_workers(local)  # closing mid-task: their shutdown noise is not the error
                raise
        return
    client = _connect(address)
    with client:
        try:
            client.wait_for_workers(1, timeout=CONNECT_SECONDS)
        except (OSError, TimeoutError):
            raise SeedforgeError(
                f"dask scheduler {address}: no worker joined within {CONNECT_SECONDS} s"
            ) from None
        yield client


def _prepare_on_worker(setup: str, path: str, chunk: Chunk) -> Prepared:
    """Runs on a worker: the Preparer for this setup is built once per worker process."""
    with _preparers_lock:
        preparer = _preparers.get(setup)
        if preparer is None:
            config, steps, signatures = json.loads(setup)
            preparer = Preparer(CurateConfig.model_validate(config), tuple(steps), signatures)
            _preparers[setup] = preparer
    return prepare_chunk(preparer, path, chunk)


class _OnCluster:
    """A chunk handed to the cluster."""

    def __init__(self, future: Any, address: str):
        self.future, self.address = future, address

    def ready(self) -> bool:
        return bool(self.future.done())

    def get(self) -> Prepared:
        try:
            prepared: Prepared = self.future.result()
        except Exception as exc:  # a worker without seedforge, or one that died
            raise SeedforgeError(
                f"dask {self.address}: preparing records failed on a worker: {exc!r}"
            ) from exc
        self.future.release()  # the cluster forgets the chunk once it is here
        return prepared


def dask_prepared_records(
    path: str | Path, preparer: Preparer, client: Client, stats: PrepareStats | None = None
) -> Iterator[tuple[SourceRecord, PreparedRecord]]:
    """Prepared records in file order, chunks prepared on the cluster's workers."""
    stats = stats if stats is not None else PrepareStats()
    threads = sum(worker["nthreads"] for worker in client.scheduler_info()["workers"].values())
    address = str(client.scheduler_info()["address"])
    stats.where, stats.workers = f"dask {address}", threads
    setup = json.dumps(
        [preparer.config.model_dump(mode="json"), list(preparer.steps), preparer.signer is not None],
        sort_keys=True,
    )

    def submit(path: str, chunk: Chunk) -> Handed:
        # pure=False: the task gets a fresh key instead of one hashed from the whole chunk
        return _OnCluster(client.submit(_prepare_on_worker, setup, path, chunk, pure=False), address)

    yield from stream_prepared(path, submit, max(IN_FLIGHT, 2 * threads), stats)
