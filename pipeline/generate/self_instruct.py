"""Self-instruct generation: seed instructions -> new instructions -> an answer for each ->
candidate records, batch by batch, until curation has accepted the target or the request
budget is spent. Accepted instructions join the pool shown in later prompts."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from pipeline.config import GenerateConfig, LLMConfig
from pipeline.curate.curator import Curator
from pipeline.generate.parse import parse_instructions
from pipeline.generate.prompts import (
    ANSWERS, INSTRUCTIONS, instructions_schema, render_answer_prompt, render_instructions_prompt,
)
from pipeline.llm.client import ChatRequest
from pipeline.llm.endpoint import Endpoint, run_requests
from pipeline.llm.journal import Journal
from pipeline.records import AlpacaRecord, Lineage, RejectedRecord, SeedTask

GENERATOR = "self_instruct"
LLM_COUNTERS = ("requests_sent", "journal_hits", "quarantined", "prompt_tokens", "completion_tokens")


@dataclass
class BatchOutcome:
    records: list[AlpacaRecord]
    requests: int
    failures: Counter[str]
    llm: Counter[str]


@dataclass
class GenerationResult:
    kept: list[AlpacaRecord] = field(default_factory=list)
    rejected: list[RejectedRecord] = field(default_factory=list)
    requests: int = 0
    candidates: int = 0
    batches: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    llm: Counter[str] = field(default_factory=Counter)


def prompts_per_batch(llm: LLMConfig) -> int:
    return max(2, 2 * llm.concurrency)


def plan_instruction_requests(
    seeds: list[SeedTask], pool: list[str], batch_index: int, config: GenerateConfig, size: int
) -> list[ChatRequest]:
    """Deterministic for a batch index and pool, so a rerun asks the same questions."""
    template = INSTRUCTIONS[config.language]
    rng = random.Random(f"{config.random_seed}:{batch_index}")
    requests = []
    for offset in range(size):
        sampled = rng.sample(seeds, min(config.seeds_per_prompt, len(seeds)))
        machine = rng.sample(pool, min(config.machine_per_prompt, len(pool)))
        examples = [seed.instruction for seed in sampled] + machine
        rng.shuffle(examples)
        requests.append(ChatRequest(
            messages=render_instructions_prompt(template, examples, config.tasks_per_request),
            template_version=template.tag,
            sample_index=batch_index * size + offset,
            json_schema=instructions_schema(config.tasks_per_request),
            tag=",".join(seed.id for seed in sampled),
        ))
    return requests


def _count(counter: Counter[str], stats: dict) -> None:
    for key in LLM_COUNTERS:
        counter[key] += stats.get(key, 0)


def generate_batch(
    seeds: list[SeedTask], pool: list[str], batch_index: int, config: GenerateConfig,
    llm: LLMConfig, endpoint: Endpoint, journal: Journal, build: str,
) -> BatchOutcome:
    """One batch: instruction requests, then one answer request per new instruction."""
    failures: Counter[str] = Counter()
    usage: Counter[str] = Counter()
    asks = plan_instruction_requests(seeds, pool, batch_index, config, prompts_per_batch(llm))
    results, stats = run_requests(endpoint, llm, journal, asks)
    _count(usage, stats.as_dict())
    answer_template = ANSWERS[config.language]
    answer_requests: list[ChatRequest] = []
    seen: set[str] = set()
    for result in results:
        if not result.ok:
            failures["quarantined"] += 1
            continue
        parsed = parse_instructions(result.text or "", truncated=result.finish_reason == "length")
        if parsed.failure:
            failures[parsed.failure] += 1
        for instruction in parsed.instructions:
            if instruction.casefold() in seen:
                continue
            seen.add(instruction.casefold())
            answer_requests.append(ChatRequest(
                messages=render_answer_prompt(answer_template, instruction),
                template_version=answer_template.tag, tag=result.request.tag,
            ))
    answers, stats = run_requests(endpoint, llm, journal, answer_requests)
    _count(usage, stats.as_dict())
    records = []
    sampling = {"temperature": llm.temperature, "top_p": llm.top_p,
                "max_tokens": llm.max_tokens, "seed": llm.seed}
    for answer in answers:
        if not answer.ok:
            failures["quarantined"] += 1
            continue
        records.append(AlpacaRecord(
            instruction=answer.request.messages[-1]["content"], input="",
            output=(answer.text or "").strip(),
            lineage=Lineage(
                generator=GENERATOR, template=answer_template.name,
                template_version=f"{INSTRUCTIONS[config.language].tag}+{answer_template.tag}",
                model=endpoint.model, sampling=sampling, seed_ids=answer.request.tag.split(","),
                request_key=answer.key, finish_reason=answer.finish_reason, build=build,
                language=config.language,
            ),
        ))
    return BatchOutcome(records, len(asks) + len(answer_requests), failures, usage)


BatchFn = Callable[..., BatchOutcome]


def run_self_instruct(
    seeds: list[SeedTask], config: GenerateConfig, llm: LLMConfig, endpoint: Endpoint,
    journal: Journal, curator: Curator, build: str, *,
    batch_fn: BatchFn = generate_batch, on_batch: Callable[[GenerationResult], None] | None = None,
) -> GenerationResult:
    """`batch_fn` runs one batch; the Prefect flow passes a task so each batch is one task run."""
    result = GenerationResult()
    pool: list[str] = []
    while len(result.kept) < config.target and result.requests < config.max_requests:
        outcome = batch_fn(seeds, list(pool), result.batches, config, llm, endpoint, journal, build)
        result.batches += 1
        result.requests += outcome.requests
        result.candidates += len(outcome.records)
        result.failures.update(outcome.failures)
        result.llm.update(outcome.llm)
        curated = curator.consider(outcome.records)
        result.kept.extend(curated.kept)
        result.rejected.extend(curated.rejected)
        pool.extend(record.instruction for record in curated.kept)
        if on_batch:
            on_batch(result)
    return result
