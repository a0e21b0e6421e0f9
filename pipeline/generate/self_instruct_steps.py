"""The three model steps of self-instruct, each as "build requests" and "read answers":

1. new instructions from k human seeds and m machine tasks of the pool;
2. classification identification for each new task that survived screening;
3. instances: input first for ordinary tasks, label first for classification tasks.

Requests are deterministic for a batch index and pool, so a rerun asks the same questions and
the journal replays them."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from typing import Any

from pipeline.config import GenerateConfig
from pipeline.generate.parse import parse_instructions
from pipeline.generate.parse_instances import ParsedInstance, parse_classification, parse_instances
from pipeline.generate.prompts import (
    class_instances_schema, classify_schema, instances_schema, instructions_schema,
    render_classify_prompt, render_instances_prompt, render_instructions_prompt,
)
from pipeline.generate.templates import TemplateSet
from pipeline.llm.client import ChatRequest, ChatResult
from pipeline.records import SeedTask


@dataclass
class NewTask:
    instruction: str
    seed_ids: list[str]
    is_classification: bool = False
    classify_key: str | None = None


def answer_text(result: ChatResult) -> tuple[str | None, bool]:
    """The text to parse and whether it was salvaged: a structured answer that failed
    validation (usually cut off) is quarantined with its raw text, which still holds the
    complete items before the cut."""
    if result.ok:
        return result.text, False
    raw = getattr(result, "raw_text", None)
    return (raw, True) if raw else (None, False)


def was_cut(result: ChatResult) -> bool:
    return result.finish_reason == "length" or getattr(result, "reason", None) == "truncated"


def plan_instruction_requests(seeds: list[SeedTask], pool: list[str], batch_index: int,
                              config: GenerateConfig, templates: TemplateSet, size: int
                              ) -> list[ChatRequest]:
    template = templates.instructions
    rng = random.Random(f"{config.random_seed}:{batch_index}")
    json_mode = config.answer_format == "json"
    requests = []
    for offset in range(size):
        sampled = rng.sample(seeds, min(config.seeds_per_prompt, len(seeds)))
        machine = rng.sample(pool, min(config.machine_per_prompt, len(pool)))
        examples = [seed.instruction for seed in sampled] + machine
        rng.shuffle(examples)
        requests.append(ChatRequest(
            messages=render_instructions_prompt(template, examples, config.tasks_per_request,
                                                config.answer_format),
            template_version=template.tag,
            sample_index=batch_index * size + offset,
            json_schema=instructions_schema(config.tasks_per_request) if json_mode else None,
            tag=",".join(seed.id for seed in sampled),
        ))
    return requests


def read_instructions(results: list[ChatResult], failures: Counter[str]) -> list[NewTask]:
    """Every proposed instruction, in order, once; failures counted by step and reason."""
    tasks: list[NewTask] = []
    seen: set[str] = set()
    for result in results:
        text, salvaged = answer_text(result)
        if text is None:
            failures[f"instructions:{getattr(result, 'reason', None) or 'no_answer'}"] += 1
            continue
        parsed = parse_instructions(text, truncated=was_cut(result))
        if parsed.failure:
            failures[f"instructions:{parsed.failure}"] += 1
        elif salvaged:
            failures["instructions:salvaged_from_invalid_answer"] += 1
        for instruction in parsed.instructions:
            if instruction.casefold() not in seen:
                seen.add(instruction.casefold())
                tasks.append(NewTask(instruction, result.request.tag.split(",")))
    return tasks


def classify_requests(tasks: list[NewTask], config: GenerateConfig,
                      templates: TemplateSet) -> list[ChatRequest]:
    template = templates.classify
    schema = classify_schema() if config.answer_format == "json" else None
    return [ChatRequest(messages=render_classify_prompt(template, task.instruction, config.answer_format),
                        template_version=template.tag, json_schema=schema)
            for task in tasks]


def apply_classification(tasks: list[NewTask], results: list[ChatResult],
                         failures: Counter[str]) -> None:
    """Self-instruct treats anything but a clear "yes" as an ordinary task."""
    for task, result in zip(tasks, results, strict=True):
        text, _ = answer_text(result)
        verdict = parse_classification(text)
        if verdict is None:
            failures["classify:unreadable"] += 1
        task.is_classification = bool(verdict)
        task.classify_key = result.key


def instance_requests(tasks: list[NewTask], config: GenerateConfig,
                      templates: TemplateSet) -> list[ChatRequest]:
    requests = []
    json_mode = config.answer_format == "json"
    count = config.instances_per_task
    for task in tasks:
        template = templates.class_instances if task.is_classification else templates.instances
        schema: dict[str, Any] | None = None
        if json_mode:
            schema = class_instances_schema(count) if task.is_classification else instances_schema(count)
        requests.append(ChatRequest(
            messages=render_instances_prompt(template, task.instruction, count, config.answer_format),
            template_version=template.tag, json_schema=schema, tag=task.instruction))
    return requests


def read_instances(task: NewTask, result: ChatResult, templates: TemplateSet,
                   failures: Counter[str], dropped: Counter[str]) -> list[ParsedInstance]:
    text, salvaged = answer_text(result)
    if text is None:
        failures[f"instances:{getattr(result, 'reason', None) or 'no_answer'}"] += 1
        return []
    template = templates.class_instances if task.is_classification else templates.instances
    parsed = parse_instances(text, classification=task.is_classification, truncated=was_cut(result),
                             examples=template.example_texts())
    dropped.update(parsed.dropped)
    if parsed.failure:
        failures[f"instances:{parsed.failure}"] += 1
    elif salvaged:
        failures["instances:salvaged_from_invalid_answer"] += 1
    return parsed.instances
