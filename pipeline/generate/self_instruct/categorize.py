"""Each new task's category (BELLE's list by default, `generate.categories`), for per-category
counts, quotas and the size study.

A task whose prompt showed seeds of one category only takes that category (source `seed`) and
costs nothing; any other task is asked about in one short request, `CategorizeStep`, whose
schema makes the category an enum of the configured names (source `classifier`). Its answers
go through the journal like every step's, so a rerun replays them. An answer that names no
configured category (or none at all) leaves the task in `other`, still from the classifier,
and is counted as a failure of the step: the task is never lost over its category."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from pipeline.evaluate.rubrics import canonical_category
from pipeline.generate.categories import OTHER
from pipeline.generate.self_instruct.config import GenerateConfig
from pipeline.generate.self_instruct.prompts import categorize_schema, render_categorize_prompt
from pipeline.generate.self_instruct.steps import NewTask
from pipeline.generate.self_instruct.templates import TemplateSet
from pipeline.llm.request import ChatRequest, ChatResult
from pipeline.llm.step import Rejection, answer_json, answer_text, unanswered

SEED, CLASSIFIER = "seed", "classifier"


def _named_in(text: str, categories: list[str]) -> str | None:
    """The category a free-text answer names: the whole answer folded, else the one configured
    name (or its spaced spelling, "open qa") it mentions; None when it names none or several."""
    line = text.strip().splitlines()[0].strip(" \t\"'`.。:：-*") if text.strip() else ""
    folded = canonical_category(line) if line else None
    if folded in categories:
        return folded
    lowered = text.casefold()
    found = {
        name
        for name in categories
        if re.search(rf"(?<![a-z_]){re.escape(name)}(?![a-z_])", lowered)
        or re.search(rf"(?<![a-z]){re.escape(name.replace('_', ' '))}(?![a-z])", lowered)
    }
    return found.pop() if len(found) == 1 else None


def parse_category(answer: ChatResult, categories: list[str]) -> str | None:
    """The configured category an answer names: the schema's `category`, else the text's."""
    value = answer_json(answer)
    if isinstance(value, dict) and isinstance(value.get("category"), str):
        folded = canonical_category(value["category"])
        if folded in categories:
            return folded
    text, _ = answer_text(answer)
    return _named_in(text, categories) if text else None


@dataclass
class CategorizeStep:
    config: GenerateConfig
    templates: TemplateSet
    name: str = "categorize"
    # the LLM config's re-asks: an answer outside the enum holds nothing to salvage
    max_reasks: int | None = None

    def requests(self, items: Sequence[NewTask]) -> list[ChatRequest]:
        template, fmt = self.templates.categorize, self.config.answer_format
        categories = self.config.categories
        schema = categorize_schema(categories) if fmt == "json" else None
        return [
            ChatRequest(
                messages=render_categorize_prompt(template, task.instruction, categories, fmt),
                template_version=template.tag,
                json_schema=schema,
                tag=task.instruction,
            )
            for task in items
        ]

    def parse(self, item: NewTask, answer: ChatResult) -> str | Rejection:
        """The category; an answer without text is rejected with its quarantine reason, one
        naming no configured category as `unreadable` (the batch then files the task under
        `other`)."""
        text, _ = answer_text(answer)
        if text is None and answer.parsed is None:
            return unanswered(answer)
        category = parse_category(answer, self.config.categories)
        if category is None:
            return Rejection("unreadable", {"answer": (text or "")[:200]})
        return category


def with_category(task: NewTask, category: str | None, source: str) -> NewTask:
    return replace(task, category=category, category_source=source if category else None)


def categorized(tasks: list[NewTask], answers: dict[str, str]) -> list[NewTask]:
    """Tasks with the classifier's category (`other` where it gave none readable); tasks that
    already had one (from their seeds) keep it."""
    return [
        task if task.category else with_category(task, answers.get(task.instruction, OTHER), CLASSIFIER)
        for task in tasks
    ]
