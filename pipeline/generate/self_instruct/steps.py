"""The three LLM steps of self-instruct, each an `LLMStep` (requests for its items, and what one
answer means for its item) that a `StepRunner` carries out:

1. `InstructionsStep`: new instructions from k human seeds and m machine tasks of the pool;
2. `ClassifyStep`: classification identification for each new task that survived screening;
3. `InstancesStep`: instances, input first for ordinary tasks, label first for classification
   tasks, read into Alpaca records with their lineage.
(`categorize.py` holds the fourth, the task's category.)

Requests are deterministic for a batch index, pool and build number (`plan.py`), so a rerun
of a build asks the same questions and the journal replays them; the next build asks others.
A step's rejection reason is the parse-failure code of the report
(`instructions:unparseable_response`, `classify:unreadable`, ...)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pipeline.generate.self_instruct.config import GenerateConfig
from pipeline.generate.self_instruct.parse_instances import parse_classification, parse_instances
from pipeline.generate.self_instruct.parse_instructions import parse_instructions
from pipeline.generate.self_instruct.plan import InstructionPrompt
from pipeline.generate.self_instruct.prompts import (
    class_instances_schema,
    classify_schema,
    instances_schema,
    instructions_schema,
    render_classify_prompt,
    render_instances_prompt,
    render_instructions_prompt,
)
from pipeline.generate.self_instruct.templates import TemplateSet
from pipeline.llm.config import LLMConfig
from pipeline.llm.request import ChatRequest, ChatResult
from pipeline.llm.step import Rejection, answer_text, was_cut
from pipeline.records import AlpacaRecord, Lineage

SELF_INSTRUCT_GENERATOR = "self_instruct"


@dataclass(frozen=True)
class NewTask:
    instruction: str
    seed_ids: list[str]
    is_classification: bool = False
    category: str | None = None
    category_source: str | None = None  # "seed" or "classifier" (pipeline.generate.categories)


@dataclass
class ProposedTasks:
    """What one instructions answer proposed. `salvaged`: read from the raw text of a structured
    answer that failed validation (usually cut off), which still holds the complete items."""

    tasks: list[NewTask]
    salvaged: bool = False


@dataclass
class TaskInstances:
    """One task's records, one per valid instance, and the instances dropped by reason."""

    records: list[AlpacaRecord]
    dropped: Counter[str] = field(default_factory=Counter)
    salvaged: bool = False


def _no_text(answer: ChatResult) -> Rejection:
    """No text at all (quarantined, deferred): the report counts it under the bare reason."""
    return Rejection(answer.reason or "no_answer", {"error": answer.error})


@dataclass
class InstructionsStep:
    config: GenerateConfig
    templates: TemplateSet
    name: str = "instructions"
    # no re-asks: a cut-off list keeps its complete items (answer_text salvages them), which is
    # cheaper than asking a slow model for the whole answer again
    max_reasks: int | None = 0

    def requests(self, items: Sequence[InstructionPrompt]) -> list[ChatRequest]:
        template = self.templates.instructions
        count, fmt = self.config.tasks_per_request, self.config.answer_format
        schema = instructions_schema(count) if fmt == "json" else None
        return [
            ChatRequest(
                messages=render_instructions_prompt(template, prompt.examples, count, fmt),
                template_version=template.tag,
                sample_index=prompt.sample_index,
                json_schema=schema,
                tag=",".join(prompt.seed_ids),
            )
            for prompt in items
        ]

    def parse(self, item: InstructionPrompt, answer: ChatResult) -> ProposedTasks | Rejection:
        text, salvaged = answer_text(answer)
        if text is None:
            return _no_text(answer)
        parsed = parse_instructions(text, truncated=was_cut(answer))
        if parsed.failure:
            return Rejection(parsed.failure)
        source = "seed" if item.category else None
        tasks = [
            NewTask(instruction, item.seed_ids, category=item.category, category_source=source)
            for instruction in parsed.instructions
        ]
        return ProposedTasks(tasks, salvaged)


@dataclass
class ClassifyStep:
    config: GenerateConfig
    templates: TemplateSet
    name: str = "classify"
    # the LLM config's re-asks: an invalid yes/no answer holds nothing to salvage
    max_reasks: int | None = None

    def requests(self, items: Sequence[NewTask]) -> list[ChatRequest]:
        template, fmt = self.templates.classify, self.config.answer_format
        schema = classify_schema() if fmt == "json" else None
        return [
            ChatRequest(
                messages=render_classify_prompt(template, task.instruction, fmt),
                template_version=template.tag,
                json_schema=schema,
            )
            for task in items
        ]

    def parse(self, item: NewTask, answer: ChatResult) -> bool | Rejection:
        """Whether the task is a classification task; unreadable (or unanswered) is rejected,
        and the batch treats it as an ordinary task, as self-instruct treats anything but a
        clear "yes"."""
        text, _ = answer_text(answer)
        verdict = parse_classification(text)
        return Rejection("unreadable") if verdict is None else verdict


@dataclass
class InstancesStep:
    """Besides the prompts, what every record's lineage names: the sampling, the model and the
    build."""

    config: GenerateConfig
    templates: TemplateSet
    llm: LLMConfig
    model: str
    build: str
    name: str = "instances"
    max_reasks: int | None = 0  # as for instructions: complete instances survive a cut

    def requests(self, items: Sequence[NewTask]) -> list[ChatRequest]:
        count, fmt = self.config.instances_per_task, self.config.answer_format
        requests = []
        for task in items:
            template = self.templates.for_instances(task.is_classification)
            schema: dict[str, Any] | None = None
            if fmt == "json":
                schema = class_instances_schema(count) if task.is_classification else instances_schema(count)
            requests.append(
                ChatRequest(
                    messages=render_instances_prompt(template, task.instruction, count, fmt),
                    template_version=template.tag,
                    json_schema=schema,
                    tag=task.instruction,
                )
            )
        return requests

    def parse(self, item: NewTask, answer: ChatResult) -> TaskInstances | Rejection:
        text, salvaged = answer_text(answer)
        if text is None:
            return _no_text(answer)
        template = self.templates.for_instances(item.is_classification)
        parsed = parse_instances(
            text,
            classification=item.is_classification,
            truncated=was_cut(answer),
            examples=template.example_texts(),
        )
        if parsed.failure:
            return Rejection(parsed.failure, {"dropped": dict(parsed.dropped)})
        lineage = self.lineage(item, answer)
        records = [
            AlpacaRecord(
                instruction=item.instruction,
                input=instance.input,
                output=instance.output,
                lineage=lineage.model_copy(),
            )
            for instance in parsed.instances
        ]
        return TaskInstances(records, parsed.dropped, salvaged)

    def lineage(self, task: NewTask, answer: ChatResult) -> Lineage:
        used = [self.templates.instructions.tag]
        if task.category_source == "classifier":
            used.append(self.templates.categorize.tag)
        if self.config.identify_classification:
            used.append(self.templates.classify.tag)
        instances = self.templates.for_instances(task.is_classification)
        used.append(instances.tag)
        llm = self.llm
        # an instance that closed before the answer was cut is itself complete
        complete = answer.finish_reason != "length" and answer.ok
        return Lineage(
            generator=SELF_INSTRUCT_GENERATOR,
            template=instances.name,
            template_version="+".join(used),
            model=self.model,
            sampling={
                "temperature": llm.temperature,
                "top_p": llm.top_p,
                "max_tokens": llm.max_tokens,
                "seed": llm.seed,
                "answer_format": self.config.answer_format,
            },
            seed_ids=task.seed_ids,
            request_key=answer.key,
            finish_reason=answer.finish_reason if not complete else "stop",
            build=self.build,
            language=self.config.language,
            category=task.category,
            category_source=task.category_source,
        )
