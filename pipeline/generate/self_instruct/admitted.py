"""What becomes of a batch's admitted tasks: the category of each (its seeds', else asked), the
category quota, whether it is a classification task, then its instances — each step one call
for every task of the batch.

Each step waits for the batch's slowest answer, which leaves a second endpoint idle at the
step's tail. Running every task through its own steps instead was tried (2026-12-02) and
measured slower, on one embedded server and on two (docs/benchmarks.md); several batches in
flight (`generate.parallel_batches`) fill those tails instead."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from pipeline.generate.self_instruct.categorize import CategorizeStep, categorized
from pipeline.generate.self_instruct.outcome import BatchOutcome, count_failures
from pipeline.generate.self_instruct.quota import Room, within_quota
from pipeline.generate.self_instruct.run_context import SelfInstructRun
from pipeline.generate.self_instruct.steps import ClassifyStep, InstancesStep, NewTask
from pipeline.generate.self_instruct.templates import template_set
from pipeline.llm.step import StepRunner


def _categorize(
    run: SelfInstructRun, runner: StepRunner, tasks: list[NewTask], outcome: BatchOutcome
) -> list[NewTask]:
    """Tasks whose seeds named no category are asked about; an unreadable answer is `other`."""
    config = run.config
    asked = [task for task in tasks if task.category is None]
    outcome.counts["categories_from_seeds"] += len(tasks) - len(asked)
    if not asked:
        return tasks
    answered = runner.run(CategorizeStep(config, template_set(config.language)), asked)
    outcome.budget_exhausted |= answered.budget_exhausted
    count_failures(outcome.failures, "categorize", answered.rejected)
    outcome.counts["categories_asked"] += len(asked)
    return categorized(tasks, {task.instruction: category for task, category in answered.parsed})


def _classify(
    run: SelfInstructRun, runner: StepRunner, tasks: list[NewTask], outcome: BatchOutcome
) -> list[NewTask]:
    step = ClassifyStep(run.config, template_set(run.config.language))
    answered = runner.run(step, tasks)
    outcome.budget_exhausted |= answered.budget_exhausted
    count_failures(outcome.failures, "classify", answered.rejected)
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
    count_failures(outcome.failures, "instances", written.rejected, sum(a.salvaged for a in answers))
    dropped: Counter[str] = Counter()
    for _, rejection in written.rejected:
        dropped.update(rejection.evidence.get("dropped", {}))
    for answer in answers:
        outcome.records.extend(answer.records)
        dropped.update(answer.dropped)
    outcome.counts.update({f"instances_dropped:{k}": v for k, v in dropped.items()})
    outcome.counts["instances"] += len(outcome.records)


def complete_tasks(
    run: SelfInstructRun, runner: StepRunner, tasks: list[NewTask], outcome: BatchOutcome, room: Room | None
) -> None:
    """Category, quota, classification and instances for the batch's admitted tasks, into
    `outcome` (records in task order)."""
    if run.config.categorize:
        tasks = _categorize(run, runner, tasks, outcome)
    tasks, full = within_quota(tasks, room, run.config)
    outcome.rejected.extend(full)
    if not tasks:
        return
    if run.config.identify_classification:
        tasks = _classify(run, runner, tasks, outcome)
    outcome.counts["classification_tasks"] += sum(task.is_classification for task in tasks)
    _write_instances(run, runner, tasks, outcome)
