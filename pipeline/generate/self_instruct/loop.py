"""Self-instruct generation, batch by batch, until curation has accepted the target, every
category of a quota is full, or the request budget (or the LLM layer's money/token budget) is
spent. The loop curates each batch's
records; accepted instructions join the pool shown in later prompts (which starts with the
instructions of earlier builds of the dataset, when there are any).

With `generate.parallel_batches` P > 1, up to P batches are in flight (`parallel.py`): batch n
starts once batch n-P is absorbed and draws on the pool as it stood then, so it does not see
the P-1 batches before it. This relaxes self-instruct's growing pool by P-1 batches (with P = 1
it is the paper's loop exactly); instruction novelty is not relaxed, as batches still screen in
order against every instruction admitted before (`turnstile.py`). A new batch's request
allowance and task limit leave out what the batches in flight may still use, so together they
never exceed `max_requests` nor start tasks the target cannot use."""

from __future__ import annotations

import logging
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from pipeline.curate.curator import Curator
from pipeline.generate.self_instruct.batch import BatchFn, BatchOutcome, SelfInstructRun, generate_batch
from pipeline.generate.self_instruct.config import GenerateConfig
from pipeline.generate.self_instruct.parallel import InFlight, Launch, batch_reach, claimed, launcher
from pipeline.generate.self_instruct.quota import QuotaGate, quota_filled, quota_room
from pipeline.generate.self_instruct.screen import InstructionScreen, curator_with_steps
from pipeline.generate.self_instruct.steps import SELF_INSTRUCT_GENERATOR
from pipeline.generate.self_instruct.templates import template_set
from pipeline.generate.self_instruct.turnstile import Turnstile
from pipeline.llm.request import BUDGET_EXHAUSTED
from pipeline.records import AlpacaRecord, RejectedRecord
from pipeline.score.report import ScoreReport
from pipeline.stage import MAX_REQUESTS, QUOTA_FILLED, TARGET_REACHED, StageResult

log = logging.getLogger("pipeline.generate")

# what a task's further instances meet once its first is kept (novelty is the instruction's)
SIBLING_STEPS = ("filters", "output_checks", "structure", "pii")


@dataclass
class SelfInstructResult(StageResult[AlpacaRecord]):
    """A self-instruct run: the stage result plus the pool it grew and its funnel numbers.
    `rejected` holds instructions screened out (step `instruction_*`) and records curation
    rejected; `failures` counts unusable answers by "step:reason"."""

    stage: str = SELF_INSTRUCT_GENERATOR
    pool: list[str] = field(default_factory=list)
    batches: int = 0
    candidates: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    seeds: int = 0
    model: str = ""
    language: str = "en"
    quality_scores: ScoreReport | None = None  # the scored quality step's, when it ran

    @property
    def requests(self) -> int:
        return self.usage.requests


def _curate(
    records: list[AlpacaRecord], curator: Curator, siblings: Curator, quota: QuotaGate
) -> tuple[list[AlpacaRecord], list[RejectedRecord]]:
    """Novelty is a property of the instruction (self-instruct, Alpaca): the first instance of
    a task meets the full curator; its further instances, once one is kept, only the filters
    and output checks plus distinct inputs. A record of a category the quota says is full is
    not curated at all."""
    kept: list[AlpacaRecord] = []
    rejected: list[RejectedRecord] = []
    inputs: dict[str, set[str]] = {}
    for record in records:
        seen = inputs.get(record.instruction)
        full = quota.refuse(record)
        if full is not None:
            verdict: RejectedRecord | None = full
        elif seen is None:
            verdict = curator.consider_one(record)
        elif record.input.casefold() in seen:
            verdict = RejectedRecord(
                record=record.model_dump(mode="json"), step="instances", reason="duplicate_input", evidence={}
            )
        else:
            verdict = siblings.consider_one(record)
        if verdict is None:
            kept.append(record)
            quota.take(record)
            inputs.setdefault(record.instruction, set()).add(record.input.casefold())
        else:
            rejected.append(verdict)
    return kept, rejected


def _stop_reason(result: SelfInstructResult, config: GenerateConfig) -> str:
    if len(result.kept) >= config.target:
        return TARGET_REACHED
    if quota_filled(config, quota_room(config, result.kept)):
        return QUOTA_FILLED
    if result.requests >= config.max_requests:
        return MAX_REQUESTS
    return ""


# the scored quality step over a batch's kept records: (those that stay, those it dropped)
Scorer = Callable[[list[AlpacaRecord]], tuple[list[AlpacaRecord], list[RejectedRecord]]]


def _absorb(
    result: SelfInstructResult,
    outcome: BatchOutcome,
    curator: Curator,
    siblings: Curator,
    quota: QuotaGate,
    scorer: Scorer | None = None,
) -> None:
    """A batch's numbers into the run's, and its records through the quota, curation (and the
    judge)."""
    result.batches += 1
    result.usage.merge(outcome.usage)
    result.candidates += len(outcome.records)
    result.failures.update(outcome.failures)
    result.counts.update(outcome.counts)
    result.rejected.extend(outcome.rejected)
    kept, rejected = _curate(outcome.records, curator, siblings, quota)
    if scorer is not None and kept:
        kept, dropped = scorer(kept)
        rejected += dropped
    result.kept.extend(kept)
    result.rejected.extend(rejected)
    for record in kept:
        if record.instruction not in result.pool:
            result.pool.append(record.instruction)


def _start_batches(
    run: SelfInstructRun, result: SelfInstructResult, pending: deque[InFlight], start: Launch
) -> None:
    """Start batches until P are in flight or those in flight may already use the rest of the
    request budget or cover the target (then the loop waits for them instead)."""
    config = run.config
    while len(pending) < config.parallel_batches:
        requests, tasks = claimed(pending)
        allowance = config.max_requests - result.requests - requests
        limit = config.target - len(result.kept) - tasks
        if allowance < 1 or limit < 1:
            return
        if config.parallel_batches > 1:  # one batch alone claims what it may use, as before
            most_requests, most_tasks = batch_reach(run)
            allowance, limit = min(allowance, most_requests), min(limit, most_tasks)
        index = result.batches + len(pending)
        handle = start(
            run,
            list(result.pool),
            index,
            request_allowance=allowance,
            task_limit=limit,
            quota_room=quota_room(config, result.kept),
        )
        pending.append(InFlight(index, handle, allowance, limit))


def run_self_instruct(
    run: SelfInstructRun,
    curator: Curator,
    *,
    batch_fn: BatchFn = generate_batch,
    launch: Launch | None = None,
    on_batch: Callable[[SelfInstructResult], None] | None = None,
    scorer: Scorer | None = None,
) -> SelfInstructResult:
    """`batch_fn` runs one batch (in this thread, or in `parallel_batches` threads); `launch`,
    when given, starts one instead (the Prefect flow passes its task's `submit`, so each batch is
    one task run). `curator` already knows the seeds (and whatever else records must be novel
    against); `scorer`, when given, rates each batch's kept records and drops those under its bar."""
    started = time.monotonic()
    config = run.config
    template_set(config.language)  # an unknown language fails before any request
    result = SelfInstructResult(
        seeds=len(run.seeds), model=run.endpoint.model, pool=list(run.earlier.pool), language=config.language
    )
    result.counts["pool_from_earlier_builds"] = len(result.pool)
    screen = InstructionScreen(curator.config, run.seeds, config.language)
    screen.add_earlier(run.earlier.instructions)
    turnstile = Turnstile()
    run = replace(run, screen=screen, turnstile=turnstile)
    siblings = curator_with_steps(curator.config, SIBLING_STEPS)
    pending: deque[InFlight] = deque()
    stop = ""
    with launcher(batch_fn, config.parallel_batches, launch) as start:
        try:
            while True:
                stop = stop or _stop_reason(result, config)
                if not stop:
                    _start_batches(run, result, pending, start)
                if not pending:
                    break
                outcome = pending.popleft().handle.result()  # in batch order, whichever ends first
                _absorb(result, outcome, curator, siblings, QuotaGate(config, result.kept), scorer)
                result.seconds = time.monotonic() - started
                if on_batch:
                    on_batch(result)
                if outcome.budget_exhausted:
                    stop = BUDGET_EXHAUSTED  # the batches in flight are absorbed, none started
                    continue
                refused = outcome.counts["structured_output_refused"]
                if refused and config.answer_format == "json":
                    log.warning("the endpoint refused JSON-schema output; asking for numbered text instead")
                    config = config.model_copy(update={"answer_format": "text"})
                    run = replace(run, config=config)
                    result.counts["fallback_to_text"] += 1
        finally:
            turnstile.close()  # a batch still waiting for its turn must not block its thread
    result.stop_reason = stop or _stop_reason(result, config)
    if len(result.kept) > config.target:  # the last batches' surplus: accepted, not needed
        result.counts["accepted_over_target"] += len(result.kept) - config.target
        result.kept = result.kept[: config.target]
    result.seconds = time.monotonic() - started
    return result
