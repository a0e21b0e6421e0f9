"""How a run starts its batches: `generate.parallel_batches` (P) of them in flight at most.

The loop (`loop.py`) starts batch n right after it has absorbed batch n-P, and absorbs batches
strictly in order, so when each batch starts, and with what, is the same in every run of a
build: a rerun replays the same prompts from the journal. Where the concurrency comes from is
the caller's: a `Launch` starts one batch and returns a handle whose `result()` waits for it
(the CLI's plain threads here; the build-dataset flow passes its Prefect task's `submit`, so each
batch stays one retried task run). Nothing here imports Prefect."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from pipeline.generate.self_instruct.batch import BatchFn, BatchOutcome, SelfInstructRun, prompts_per_batch


class BatchHandle(Protocol):
    def result(self) -> BatchOutcome: ...


# called like a BatchFn (run, pool, batch_index, request_allowance=, task_limit=, quota_room=)
Launch = Callable[..., BatchHandle]


@dataclass(frozen=True)
class Finished:
    """A batch that ran in the caller's thread (one batch at a time, as before)."""

    outcome: BatchOutcome

    def result(self) -> BatchOutcome:
        return self.outcome


@dataclass(frozen=True)
class InFlight:
    """A started batch and the share of the run's budget and target it may still use."""

    index: int
    handle: BatchHandle
    allowance: int  # requests
    task_limit: int  # new tasks


def claimed(pending: Iterable[InFlight]) -> tuple[int, int]:
    """The requests and tasks the batches in flight may still use."""
    batches = list(pending)
    return sum(b.allowance for b in batches), sum(b.task_limit for b in batches)


def batch_reach(run: SelfInstructRun) -> tuple[int, int]:
    """The most requests and new tasks one batch can use: its prompts, the tasks they ask for,
    and each task's requests. With several batches in flight a batch claims no more than this,
    so a large target or budget still leaves room for the next batch to start."""
    config = run.config
    prompts = prompts_per_batch(run.llm)
    tasks = prompts * config.tasks_per_request
    per_task = 1 + int(config.identify_classification) + int(config.categorize)
    return prompts + tasks * per_task, tasks


@contextmanager
def launcher(batch_fn: BatchFn, parallel: int, launch: Launch | None = None) -> Iterator[Launch]:
    """The caller's `launch` when given; else `batch_fn` in this thread (one at a time) or in a
    pool of `parallel` threads."""
    if launch is not None:
        yield launch
        return
    if parallel == 1:

        def run_here(*args: Any, **kwargs: Any) -> BatchHandle:
            return Finished(batch_fn(*args, **kwargs))

        yield run_here
        return
    with ThreadPoolExecutor(parallel, thread_name_prefix="seedforge-batch") as pool:

        def submit(*args: Any, **kwargs: Any) -> BatchHandle:
            return pool.submit(batch_fn, *args, **kwargs)

        yield submit
