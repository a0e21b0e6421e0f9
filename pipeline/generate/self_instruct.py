"""Self-instruct generation, batch by batch, until curation has accepted the target or the
request budget (or the LLM layer's money/token budget) is spent.

One batch: ask for new instructions (k seeds + m pool tasks per prompt) -> screen them with
the paper filters and ROUGE-L novelty against seeds and every earlier instruction -> ask the
model whether each survivor is a classification task -> ask for instances (input first, or
label first for classification) -> one Alpaca record per valid instance, lineage on each.
The loop curates the records; accepted instructions join the pool shown in later prompts."""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pipeline.config import GenerateConfig, LLMConfig
from pipeline.curate.curator import Curator
from pipeline.generate.screen import InstructionScreen, curator_with_steps
from pipeline.generate.self_instruct_steps import (
    NewTask, apply_classification, classify_requests, instance_requests, plan_instruction_requests,
    read_instances, read_instructions,
)
from pipeline.generate.templates import TemplateSet, template_set
from pipeline.llm.client import ChatRequest, ChatResult
from pipeline.llm.endpoint import Endpoint, run_requests
from pipeline.llm.journal import Journal
from pipeline.records import AlpacaRecord, Lineage, RejectedRecord, SeedTask

log = logging.getLogger("pipeline.generate")

GENERATOR = "self_instruct"
LLM_COUNTERS = ("requests_sent", "journal_hits", "quarantined", "prompt_tokens",
                "completion_tokens", "cost_usd")
BUDGET_EXHAUSTED = "budget_exhausted"
SIBLING_STEPS = ("filters", "output_checks", "pii")
Progress = Callable[[int, dict[str, Any]], None]  # (requests answered, their LLM stats)


@dataclass
class BatchOutcome:
    records: list[AlpacaRecord]
    requests: int
    failures: Counter[str]
    llm: Counter[str]
    rejected: list[RejectedRecord] = field(default_factory=list)  # instructions screened out
    counts: Counter[str] = field(default_factory=Counter)
    budget_exhausted: bool = False


@dataclass
class GenerationResult:
    kept: list[AlpacaRecord] = field(default_factory=list)
    rejected: list[RejectedRecord] = field(default_factory=list)
    requests: int = 0
    candidates: int = 0
    batches: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    llm: Counter[str] = field(default_factory=Counter)
    counts: Counter[str] = field(default_factory=Counter)
    pool: list[str] = field(default_factory=list)
    stop_reason: str = ""
    seconds: float = 0.0

    def rejected_by_reason(self) -> Counter[str]:
        return Counter(rejected.reason for rejected in self.rejected)


def prompts_per_batch(llm: LLMConfig) -> int:
    """One instruction prompt per request slot: batches stay short, so the pool and the
    progress bar move often and the loop stops close to its target."""
    return max(1, llm.concurrency)


def _ask(step: str, requests: list[ChatRequest], endpoint: Endpoint, llm: LLMConfig,
         journal: Journal, outcome: BatchOutcome, progress: Progress | None) -> list[ChatResult]:
    if not requests:
        return []
    outcome.counts[f"requests:{step}"] += len(requests)
    if step != "classify" and "max_reasks" in type(llm).model_fields:
        # a cut-off list keeps its complete items (answer_text salvages them): cheaper than
        # re-asking a slow model for the whole answer again
        llm = llm.model_copy(update={"max_reasks": 0})
    results, stats = run_requests(endpoint, llm, journal, requests)
    numbers = stats.as_dict()
    for key in LLM_COUNTERS:
        outcome.llm[key] += numbers.get(key) or 0
    outcome.requests += len(requests)
    if numbers.get("budget_exhausted") or any(getattr(r, "reason", None) == BUDGET_EXHAUSTED
                                              for r in results):
        outcome.budget_exhausted = True
    if progress:
        progress(len(requests), numbers)
    return results


def structured_output_refused(results: list[ChatResult]) -> bool:
    """Every answer an HTTP error (llama.cpp answers OpenAI's json_schema with a 500, others a
    400/422): the endpoint will not take schemas, so the run falls back to numbered text."""
    reasons = [getattr(result, "reason", None) or "" for result in results]
    return bool(results) and all(not r.ok for r in results) and \
        all(reason.startswith("http_4") or reason.startswith("http_5") for reason in reasons)


def _screen(tasks: list[NewTask], screen: InstructionScreen, batch_index: int, limit: int,
            outcome: BatchOutcome) -> list[NewTask]:
    admitted = []
    for task in tasks:
        if len(admitted) >= limit:
            outcome.counts["instructions_over_limit"] += 1
            continue
        rejected = screen.admit(task.instruction, task.seed_ids, batch_index)
        if rejected is None:
            admitted.append(task)
        else:
            outcome.rejected.append(rejected)
    return admitted


def _lineage(task: NewTask, result: ChatResult, templates: TemplateSet, config: GenerateConfig,
             llm: LLMConfig, endpoint: Endpoint, build: str, complete: bool) -> Lineage:
    used = [templates.instructions.tag]
    if config.identify_classification:
        used.append(templates.classify.tag)
    instances = templates.class_instances if task.is_classification else templates.instances
    used.append(instances.tag)
    return Lineage(
        generator=GENERATOR, template=instances.name, template_version="+".join(used),
        model=endpoint.model,
        sampling={"temperature": llm.temperature, "top_p": llm.top_p, "max_tokens": llm.max_tokens,
                  "seed": llm.seed, "answer_format": config.answer_format},
        seed_ids=task.seed_ids, request_key=result.key,
        # an instance that closed before the answer was cut is itself complete
        finish_reason=result.finish_reason if not complete else "stop",
        build=build, language=config.language,
    )


def generate_batch(
    seeds: list[SeedTask], pool: list[str], batch_index: int, config: GenerateConfig,
    llm: LLMConfig, endpoint: Endpoint, journal: Journal, build: str, *,
    screen: InstructionScreen | None = None, request_allowance: int | None = None,
    task_limit: int | None = None, progress: Progress | None = None,
) -> BatchOutcome:
    """One batch. `screen` carries instruction novelty across batches (a fresh one, seeded with
    the seeds, when absent); `request_allowance` and `task_limit` keep the batch inside the
    run's request budget and near its target."""
    from pipeline.config import CurateConfig

    templates = template_set(config.language)
    if screen is None:
        screen = InstructionScreen(CurateConfig(), seeds, config.language)
    outcome = BatchOutcome(records=[], requests=0, failures=Counter(), llm=Counter())
    allowance = request_allowance if request_allowance is not None else math.inf
    size = int(min(prompts_per_batch(llm), max(1, allowance)))
    asks = plan_instruction_requests(seeds, pool, batch_index, config, templates, size)
    answered = _ask("instructions", asks, endpoint, llm, journal, outcome, progress)
    if config.answer_format == "json" and structured_output_refused(answered):
        outcome.counts["structured_output_refused"] += 1
    proposed = read_instructions(answered, outcome.failures)
    outcome.counts["instructions_proposed"] += len(proposed)
    per_task = 2 if config.identify_classification else 1
    limit = task_limit or len(proposed)
    if allowance != math.inf:
        limit = min(limit, int(max(0, allowance - size) // per_task))
    tasks = _screen(proposed, screen, batch_index, limit, outcome)
    outcome.counts["instructions_admitted"] += len(tasks)
    if outcome.budget_exhausted or not tasks:
        return outcome
    if config.identify_classification:
        verdicts = _ask("classify", classify_requests(tasks, config, templates), endpoint, llm, journal, outcome,
                        progress)
        apply_classification(tasks, verdicts, outcome.failures)
    outcome.counts["classification_tasks"] += sum(task.is_classification for task in tasks)
    answers = _ask("instances", instance_requests(tasks, config, templates), endpoint, llm, journal, outcome,
                   progress)
    dropped: Counter[str] = Counter()
    for task, result in zip(tasks, answers, strict=True):
        instances = read_instances(task, result, templates, outcome.failures, dropped)
        complete = result.finish_reason != "length" and result.ok
        lineage = _lineage(task, result, templates, config, llm, endpoint, build, complete)
        for instance in instances:
            outcome.records.append(AlpacaRecord(instruction=task.instruction, input=instance.input,
                                                output=instance.output, lineage=lineage.model_copy()))
    outcome.counts.update({f"instances_dropped:{k}": v for k, v in dropped.items()})
    outcome.counts["instances"] += len(outcome.records)
    return outcome


BatchFn = Callable[..., BatchOutcome]


def _curate(records: list[AlpacaRecord], curator: Curator, siblings: Curator
            ) -> tuple[list[AlpacaRecord], list[RejectedRecord]]:
    """Novelty is a property of the instruction (self-instruct, Alpaca): the first instance of
    a task meets the full curator; its further instances, once one is kept, only the filters
    and output checks plus distinct inputs."""
    kept: list[AlpacaRecord] = []
    rejected: list[RejectedRecord] = []
    inputs: dict[str, set[str]] = {}
    for record in records:
        seen = inputs.get(record.instruction)
        if seen is None:
            verdict = curator.consider_one(record)
        elif record.input.casefold() in seen:
            verdict = RejectedRecord(record=record.model_dump(mode="json"), step="instances",
                                     reason="duplicate_input", evidence={})
        else:
            verdict = siblings.consider_one(record)
        if verdict is None:
            kept.append(record)
            inputs.setdefault(record.instruction, set()).add(record.input.casefold())
        else:
            rejected.append(verdict)
    return kept, rejected


def run_self_instruct(
    seeds: list[SeedTask], config: GenerateConfig, llm: LLMConfig, endpoint: Endpoint,
    journal: Journal, curator: Curator, build: str, *,
    batch_fn: BatchFn = generate_batch, on_batch: Callable[[GenerationResult], None] | None = None,
    progress: Progress | None = None,
) -> GenerationResult:
    """`batch_fn` runs one batch; the Prefect flow passes a task so each batch is one task run."""
    started = time.monotonic()
    template_set(config.language)  # an unknown language fails before any request
    result = GenerationResult()
    screen = InstructionScreen(curator.config, seeds, config.language)
    siblings = curator_with_steps(curator.config, SIBLING_STEPS)
    while True:
        if len(result.kept) >= config.target:
            result.stop_reason = "target_reached"
            break
        if result.requests >= config.max_requests:
            result.stop_reason = "max_requests"
            break
        needed = config.target - len(result.kept)
        outcome = batch_fn(seeds, list(result.pool), result.batches, config, llm, endpoint, journal,
                           build, screen=screen, request_allowance=config.max_requests - result.requests,
                           task_limit=needed, progress=progress)
        result.batches += 1
        result.requests += outcome.requests
        result.candidates += len(outcome.records)
        result.failures.update(outcome.failures)
        result.llm.update(outcome.llm)
        result.counts.update(outcome.counts)
        result.rejected.extend(outcome.rejected)
        kept, rejected = _curate(outcome.records, curator, siblings)
        result.kept.extend(kept)
        result.rejected.extend(rejected)
        for record in kept:
            if record.instruction not in result.pool:
                result.pool.append(record.instruction)
        result.seconds = time.monotonic() - started
        if on_batch:
            on_batch(result)
        if outcome.budget_exhausted:
            result.stop_reason = BUDGET_EXHAUSTED
            break
        if outcome.counts["structured_output_refused"] and config.answer_format == "json":
            log.warning("the endpoint refused JSON-schema output; asking for numbered text instead")
            config = config.model_copy(update={"answer_format": "text"})
            result.counts["fallback_to_text"] += 1
    if len(result.kept) > config.target:  # the last batch's surplus: accepted, not needed
        result.counts["accepted_over_target"] += len(result.kept) - config.target
        result.kept = result.kept[:config.target]
    result.seconds = time.monotonic() - started
    return result
