"""One self-instruct batch: ask for new instructions (k seeds + m pool tasks per prompt) ->
screen them with the paper filters and ROUGE-L novelty against the seeds and every earlier
instruction -> the category of each survivor (its seeds', else asked) -> drop those of a full
category (`quota.py`) -> ask whether each is a classification task -> ask for its instances ->
one Alpaca record per valid instance, lineage on each. The loop (`loop.py`) curates them.

The category is asked before the classification question, not after: a task dropped for its
category's quota then costs neither.

Each step is one call for every task of the batch and waits for its slowest answer, which
leaves a second endpoint idle at the step's tail. Letting each task go on to its next step as
soon as its own answer came was tried (2026-12-02) and measured slower on one embedded server
and on two (docs/benchmarks.md); several batches in flight (`generate.parallel_batches`) fill
those tails instead.

`generate_batch(run, pool, batch_index, ...)` is what the Prefect flow wraps as a task: the
run's shared context travels in one `SelfInstructRun`, and a retried batch replays its
answers from the journal."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from typing import Any

from pipeline.curate.config import CurateConfig
from pipeline.generate.self_instruct.categorize import CategorizeStep, categorized
from pipeline.generate.self_instruct.config import GenerateConfig
from pipeline.generate.self_instruct.earlier import FIRST_BUILD, EarlierBuilds
from pipeline.generate.self_instruct.plan import plan_instruction_prompts
from pipeline.generate.self_instruct.quota import Room, open_categories, within_quota
from pipeline.generate.self_instruct.screen import InstructionScreen
from pipeline.generate.self_instruct.steps import (
    ClassifyStep,
    InstancesStep,
    InstructionsStep,
    NewTask,
    ProposedTasks,
)
from pipeline.generate.self_instruct.templates import template_set
from pipeline.generate.self_instruct.turnstile import Turnstile
from pipeline.llm.config import LLMConfig
from pipeline.llm.endpoint import Endpoint
from pipeline.llm.journal_api import JournalStore
from pipeline.llm.request import ChatResult
from pipeline.llm.step import LLMUsage, Progress, Rejection, StepRunner
from pipeline.records import AlpacaRecord, RejectedRecord, SeedTask


@dataclass
class SelfInstructRun:
    """What every batch of one run shares. `screen` carries instruction novelty across batches
    (a batch without one screens against the seeds only); `earlier` is what the dataset's
    earlier builds hand over (the build number decides the sampling)."""

    seeds: list[SeedTask]
    config: GenerateConfig
    llm: LLMConfig
    endpoint: Endpoint
    journal: JournalStore
    build: str
    screen: InstructionScreen | None = None
    progress: Progress | None = None  # after every step: (requests answered, the batch's usage)
    earlier: EarlierBuilds = FIRST_BUILD
    turnstile: Turnstile | None = None  # batches in flight admit in batch order (turnstile.py)


@dataclass
class BatchOutcome:
    records: list[AlpacaRecord] = field(default_factory=list)
    usage: LLMUsage = field(default_factory=LLMUsage)
    failures: Counter[str] = field(default_factory=Counter)  # "step:reason" of unusable answers
    rejected: list[RejectedRecord] = field(default_factory=list)  # instructions screened out
    counts: Counter[str] = field(default_factory=Counter)
    budget_exhausted: bool = False

    @property
    def requests(self) -> int:
        return self.usage.requests


BatchFn = Callable[..., BatchOutcome]  # generate_batch, or the flow's task around it


def prompts_per_batch(llm: LLMConfig) -> int:
    """One instruction prompt per request slot: batches stay short, so the pool and the
    progress bar move often and the loop stops close to its target."""
    return max(1, llm.concurrency)


def structured_output_refused(results: list[ChatResult]) -> bool:
    """Every answer an HTTP error (llama.cpp answers OpenAI's json_schema with a 500, others a
    400/422): the endpoint will not take schemas, so the run falls back to numbered text."""
    reasons = [result.reason or "" for result in results]
    return (
        bool(results)
        and all(not result.ok for result in results)
        and all(reason.startswith(("http_4", "http_5")) for reason in reasons)
    )


def _count_failures(
    failures: Counter[str], step: str, rejected: list[tuple[Any, Rejection]], salvaged: int = 0
) -> None:
    failures.update(f"{step}:{rejection.reason}" for _, rejection in rejected)
    if salvaged:
        failures[f"{step}:salvaged_from_invalid_answer"] += salvaged


def _unique_tasks(proposed: list[ProposedTasks]) -> list[NewTask]:
    """Every proposed instruction of the batch, in order, once."""
    tasks: list[NewTask] = []
    seen: set[str] = set()
    for answer in proposed:
        for task in answer.tasks:
            if task.instruction.casefold() not in seen:
                seen.add(task.instruction.casefold())
                tasks.append(task)
    return tasks


def request_cost(task: NewTask, config: GenerateConfig) -> int:
    """The requests an admitted task costs: its instances, the classification question, and the
    category question unless its seeds gave the category."""
    asks_category = config.categorize and task.category is None
    return 1 + int(config.identify_classification) + int(asks_category)


def _admit(
    tasks: list[NewTask],
    screen: InstructionScreen,
    batch_index: int,
    limit: int,
    requests_left: float,
    config: GenerateConfig,
    outcome: BatchOutcome,
) -> list[NewTask]:
    """At most `limit` tasks whose requests fit in `requests_left`, screened."""
    admitted: list[NewTask] = []
    spent = 0
    for task in tasks:
        cost = request_cost(task, config)
        if len(admitted) >= limit or spent + cost > requests_left:
            outcome.counts["instructions_over_limit"] += 1
            continue
        rejected = screen.admit(task.instruction, task.seed_ids, batch_index)
        if rejected is None:
            admitted.append(task)
            spent += cost
        else:
            outcome.rejected.append(rejected)
    return admitted


def _propose(
    run: SelfInstructRun,
    runner: StepRunner,
    pool: list[str],
    batch_index: int,
    size: int,
    outcome: BatchOutcome,
    steer: list[str] | None = None,
) -> list[NewTask]:
    config = run.config
    prompts = plan_instruction_prompts(run.seeds, pool, batch_index, config, size, run.earlier, steer)
    asked = runner.run(InstructionsStep(config, template_set(config.language)), prompts)
    outcome.budget_exhausted |= asked.budget_exhausted
    if config.answer_format == "json" and structured_output_refused(asked.results):
        outcome.counts["structured_output_refused"] += 1
    values = asked.values()
    _count_failures(outcome.failures, "instructions", asked.rejected, sum(v.salvaged for v in values))
    return _unique_tasks(values)


def _categorize(
    run: SelfInstructRun, runner: StepRunner, tasks: list[NewTask], outcome: BatchOutcome
) -> list[NewTask]:
    """Tasks whose seeds named no category are asked about; an unreadable answer is `other`."""
    asked = [task for task in tasks if task.category is None]
    outcome.counts["categories_from_seeds"] += len(tasks) - len(asked)
    if not asked:
        return tasks
    answered = runner.run(CategorizeStep(run.config, template_set(run.config.language)), asked)
    outcome.budget_exhausted |= answered.budget_exhausted
    _count_failures(outcome.failures, "categorize", answered.rejected)
    outcome.counts["categories_asked"] += len(asked)
    return categorized(tasks, {task.instruction: category for task, category in answered.parsed})


def _classify(
    run: SelfInstructRun, runner: StepRunner, tasks: list[NewTask], outcome: BatchOutcome
) -> list[NewTask]:
    answered = runner.run(ClassifyStep(run.config, template_set(run.config.language)), tasks)
    outcome.budget_exhausted |= answered.budget_exhausted
    _count_failures(outcome.failures, "classify", answered.rejected)
    verdicts = {task.instruction: verdict for task, verdict in answered.parsed}
    return [replace(task, is_classification=verdicts.get(task.instruction, False)) for task in tasks]


def _write_instances(
    run: SelfInstructRun, runner: StepRunner, tasks: list[NewTask], outcome: BatchOutcome
) -> None:
    step = InstancesStep(
        run.config, template_set(run.config.language), run.llm, run.endpoint.model, run.build
    )
    written = runner.run(step, tasks)
    outcome.budget_exhausted |= written.budget_exhausted
    answers = written.values()
    _count_failures(outcome.failures, "instances", written.rejected, sum(a.salvaged for a in answers))
    dropped: Counter[str] = Counter()
    for _, rejection in written.rejected:
        dropped.update(rejection.evidence.get("dropped", {}))
    for answer in answers:
        outcome.records.extend(answer.records)
        dropped.update(answer.dropped)
    outcome.counts.update({f"instances_dropped:{k}": v for k, v in dropped.items()})
    outcome.counts["instances"] += len(outcome.records)


def generate_batch(
    run: SelfInstructRun,
    pool: list[str],
    batch_index: int,
    *,
    request_allowance: int | None = None,
    task_limit: int | None = None,
    quota_room: Room | None = None,
) -> BatchOutcome:
    """One batch. `request_allowance` and `task_limit` keep it inside the run's request budget
    and near its target; `quota_room` (the loop's, with a category quota) steers its prompts and
    drops tasks of full categories."""
    config = run.config
    screen = run.screen
    if screen is None:
        screen = InstructionScreen(CurateConfig(), run.seeds, config.language)
    outcome = BatchOutcome()
    runner = StepRunner(run.endpoint, run.llm, run.journal, usage=outcome.usage, progress=run.progress)
    allowance = request_allowance if request_allowance is not None else math.inf
    size = int(min(prompts_per_batch(run.llm), max(1, allowance)))
    steer = open_categories(config, quota_room)
    proposed = _propose(run, runner, pool, batch_index, size, outcome, steer)
    outcome.counts["instructions_proposed"] += len(proposed)
    limit = task_limit or len(proposed)
    turn: AbstractContextManager[None] = run.turnstile.turn(batch_index) if run.turnstile else nullcontext()
    with turn:
        tasks = _admit(proposed, screen, batch_index, limit, allowance - size, config, outcome)
    outcome.counts["instructions_admitted"] += len(tasks)
    if outcome.budget_exhausted or not tasks:
        return outcome
    if config.categorize:
        tasks = _categorize(run, runner, tasks, outcome)
    tasks, full = within_quota(tasks, quota_room, config)
    outcome.rejected.extend(full)
    if not tasks:
        return outcome
    if config.identify_classification:
        tasks = _classify(run, runner, tasks, outcome)
    outcome.counts["classification_tasks"] += sum(task.is_classification for task in tasks)
    _write_instances(run, runner, tasks, outcome)
    return outcome
