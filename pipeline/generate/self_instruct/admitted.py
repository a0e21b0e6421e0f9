"""What becomes of a batch's admitted tasks: the category of each (its seeds', else asked), the
category quota, whether it is a classification task, then its instances.

Online, each task goes through these steps on its own (`llm.mode: online`): a task whose
category answered asks its classification question at once, and its instances as soon as that
answers, instead of waiting for the slowest request of the batch at every step. On a serial
server the waits are where a second endpoint would sit idle. The results are gathered in task
order, and the quota decides in task order too (a task waits for the decisions of the tasks
before it), so a batch's records and rejections do not depend on which answer came first.
With the Batch API (`llm.mode: batch`) each step stays one batch for every task: one upload,
not one per task."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import replace

from pipeline.generate.self_instruct.categorize import CategorizeStep, categorized
from pipeline.generate.self_instruct.outcome import BatchOutcome, count_failures
from pipeline.generate.self_instruct.quota import Room, TaskQuota, within_quota
from pipeline.generate.self_instruct.run_context import SelfInstructRun
from pipeline.generate.self_instruct.steps import ClassifyStep, InstancesStep, NewTask
from pipeline.generate.self_instruct.templates import template_set
from pipeline.llm.step import StepRunner
from pipeline.records import RejectedRecord


async def _categorize(
    run: SelfInstructRun, runner: StepRunner, tasks: list[NewTask], outcome: BatchOutcome
) -> list[NewTask]:
    """Tasks whose seeds named no category are asked about; an unreadable answer is `other`."""
    config = run.config
    asked = [task for task in tasks if task.category is None]
    outcome.counts["categories_from_seeds"] += len(tasks) - len(asked)
    if not asked:
        return tasks
    answered = await runner.arun(CategorizeStep(config, template_set(config.language)), asked)
    outcome.budget_exhausted |= answered.budget_exhausted
    count_failures(outcome.failures, "categorize", answered.rejected)
    outcome.counts["categories_asked"] += len(asked)
    return categorized(tasks, {task.instruction: category for task, category in answered.parsed})


async def _classify(
    run: SelfInstructRun, runner: StepRunner, tasks: list[NewTask], outcome: BatchOutcome
) -> list[NewTask]:
    step = ClassifyStep(run.config, template_set(run.config.language))
    answered = await runner.arun(step, tasks)
    outcome.budget_exhausted |= answered.budget_exhausted
    count_failures(outcome.failures, "classify", answered.rejected)
    verdicts = {task.instruction: verdict for task, verdict in answered.parsed}
    return [replace(task, is_classification=verdicts.get(task.instruction, False)) for task in tasks]


async def _write_instances(
    run: SelfInstructRun, runner: StepRunner, tasks: list[NewTask], outcome: BatchOutcome
) -> None:
    step = InstancesStep(
        run.config, template_set(run.config.language), run.llm, run.endpoint.model, run.build
    )
    written = await runner.arun(step, tasks)
    outcome.budget_exhausted |= written.budget_exhausted
    answers = written.values()
    count_failures(outcome.failures, "instances", written.rejected, sum(a.salvaged for a in answers))
    dropped: Counter[str] = Counter()
    for _, rejection in written.rejected:
        dropped.update(rejection.evidence.get("dropped", {}))
    for answer in answers:
        outcome.records.extend(answer.records)
        dropped.update(answer.dropped)
    outcome.counts.update({f"instances_dropped:{k}": v for k, v in dropped.items()})
    outcome.counts["instances"] += len(outcome.records)


async def _classify_and_write(
    run: SelfInstructRun, runner: StepRunner, tasks: list[NewTask], outcome: BatchOutcome
) -> None:
    if run.config.identify_classification:
        tasks = await _classify(run, runner, tasks, outcome)
    outcome.counts["classification_tasks"] += sum(task.is_classification for task in tasks)
    await _write_instances(run, runner, tasks, outcome)


class OrderedQuota:
    """The quota's decisions in task order while tasks reach them in any order: task i waits
    until every task before it has been decided. Without a quota nobody waits."""

    def __init__(self, quota: TaskQuota, count: int):
        self.quota = quota
        self.turns = [asyncio.Event() for _ in range(count)]
        if self.turns:
            self.turns[0].set()

    async def take(self, index: int, task: NewTask) -> RejectedRecord | None:
        if self.quota.room is None:
            return None
        await self.turns[index].wait()
        try:
            return self.quota.take(task)
        finally:
            if index + 1 < len(self.turns):
                self.turns[index + 1].set()


async def _one_task(
    run: SelfInstructRun,
    runner: StepRunner,
    index: int,
    task: NewTask,
    quota: OrderedQuota,
) -> BatchOutcome:
    share = BatchOutcome(usage=runner.usage)
    tasks = [task]
    if run.config.categorize:
        tasks = await _categorize(run, runner, tasks, share)
    refused = await quota.take(index, tasks[0])
    if refused is not None:
        share.rejected.append(refused)
        return share
    await _classify_and_write(run, runner, tasks, share)
    return share


async def _each_apart(
    run: SelfInstructRun, runner: StepRunner, tasks: list[NewTask], outcome: BatchOutcome, room: Room | None
) -> None:
    quota = OrderedQuota(TaskQuota(room, run.config), len(tasks))
    shares = await asyncio.gather(*(_one_task(run, runner, i, task, quota) for i, task in enumerate(tasks)))
    for share in shares:
        outcome.absorb(share)


async def _all_together(
    run: SelfInstructRun, runner: StepRunner, tasks: list[NewTask], outcome: BatchOutcome, room: Room | None
) -> None:
    if run.config.categorize:
        tasks = await _categorize(run, runner, tasks, outcome)
    tasks, full = within_quota(tasks, room, run.config)
    outcome.rejected.extend(full)
    if tasks:
        await _classify_and_write(run, runner, tasks, outcome)


def complete_tasks(
    run: SelfInstructRun, runner: StepRunner, tasks: list[NewTask], outcome: BatchOutcome, room: Room | None
) -> None:
    """Category, quota, classification and instances for the batch's admitted tasks, into
    `outcome` (records in task order)."""
    together = run.llm.mode == "batch"
    asyncio.run((_all_together if together else _each_apart)(run, runner, tasks, outcome, room))
