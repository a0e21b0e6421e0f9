"""Chat messages and JSON schemas for the self-instruct steps.

Two answer formats: "json" sends a schema (llama.cpp turns it into a grammar, so the answer
parses, and property order fixes generation order: input before output, label before input);
"text" asks for numbered or labelled plain text for endpoints without structured output.
Either way the parsers accept both, because models ignore format requests."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any, Literal

from pipeline.generate.self_instruct.templates.base import PromptTemplate

AnswerFormat = Literal["json", "text"]
INSTRUCTION_MAX_CHARS = 300  # Alpaca keeps instructions up to 150 words; most are under 30
Messages = list[dict[str, str]]


def _string_array(max_items: int) -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": max_items}


def instructions_schema(count: int, max_chars: int = INSTRUCTION_MAX_CHARS) -> dict[str, Any]:
    """Each item bounded: a small model otherwise runs one string on to the token limit."""
    array = _string_array(count)
    array["items"]["maxLength"] = max_chars
    return {"type": "object", "properties": {"instructions": array}, "required": ["instructions"]}


def classify_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"is_classification": {"type": "boolean"}},
        "required": ["is_classification"],
    }


def categorize_schema(categories: list[str]) -> dict[str, Any]:
    """The category as an enum: llama.cpp's grammar can only write one of the names."""
    return {
        "type": "object",
        "properties": {"category": {"type": "string", "enum": list(categories)}},
        "required": ["category"],
    }


def _instances_schema(first: str, second: str, count: int) -> dict[str, Any]:
    item = {
        "type": "object",
        "properties": {first: {"type": "string"}, second: {"type": "string"}},
        "required": [first, second],
    }
    return {
        "type": "object",
        "properties": {"instances": {"type": "array", "items": item, "minItems": 1, "maxItems": count}},
        "required": ["instances"],
    }


def instances_schema(count: int) -> dict[str, Any]:
    """Input first: the output is written for an input that already exists."""
    return _instances_schema("input", "output", count)


def class_instances_schema(count: int) -> dict[str, Any]:
    """Label first (self-instruct's output-first): inputs otherwise skew to one label."""
    return _instances_schema("class_label", "input", count)


# labels of the plain-text answer format, per language; parse_instances reads both sets
TEXT_LABELS = {
    "en": {
        "yes": "Yes",
        "no": "No",
        "example": "Example",
        "input": "Input",
        "output": "Output",
        "label": "Class label",
        "colon": ": ",
    },
    "zh": {
        "yes": "是",
        "no": "否",
        "example": "示例",
        "input": "输入",
        "output": "输出",
        "label": "类别标签",
        "colon": "：",
    },
}


def _demo_as_text(answer: dict[str, Any], language: str) -> str:
    words = TEXT_LABELS[language]
    if "is_classification" in answer:
        return words["yes"] if answer["is_classification"] else words["no"]
    if "category" in answer:
        return str(answer["category"])
    lines = []
    for n, item in enumerate(answer.get("instances", []), start=1):
        if "class_label" in item:
            lines += [
                f"{words['label']}{words['colon']}{item['class_label']}",
                f"{words['input']}{words['colon']}{item['input']}",
            ]
        else:
            lines += [
                f"{words['example']} {n}",
                f"{words['input']}{words['colon']}{item['input']}",
                f"{words['output']}{words['colon']}{item['output']}",
            ]
    return "\n".join(lines)


def _demo_turns(template: PromptTemplate, fmt: AnswerFormat) -> Messages:
    turns: Messages = []
    for demo in template.demos:
        answer = (
            json.dumps(demo.answer, ensure_ascii=False)
            if fmt == "json"
            else _demo_as_text(demo.answer, template.language)
        )
        turns += [{"role": "user", "content": demo.user}, {"role": "assistant", "content": answer}]
    return turns


def _hint(template: PromptTemplate, fmt: AnswerFormat) -> str:
    return template.json_hint if fmt == "json" else template.text_hint


def render_messages(template: PromptTemplate, fmt: AnswerFormat, **fields: Any) -> Messages:
    """System prompt with the answer-format hint, worked examples as earlier turns (a fixed
    prefix the server can cache), then the task in the same words as the examples: a hint in
    the last turn only gets copied (the model answered every task with the hint's first option)."""
    system = template.system + "\n" + _hint(template, fmt).format(**fields)
    return [
        {"role": "system", "content": system},
        *_demo_turns(template, fmt),
        {"role": "user", "content": template.user.format(**fields)},
    ]


def render_instructions_prompt(
    template: PromptTemplate, examples: list[str], count: int, fmt: AnswerFormat = "json"
) -> Messages:
    numbered = "\n".join(f"{n}. {' '.join(text.split())}" for n, text in enumerate(examples, start=1))
    return render_messages(template, fmt, examples=numbered, count=count)


def render_classify_prompt(
    template: PromptTemplate, instruction: str, fmt: AnswerFormat = "json"
) -> Messages:
    return render_messages(template, fmt, instruction=instruction)


def render_instances_prompt(
    template: PromptTemplate, instruction: str, count: int, fmt: AnswerFormat = "json"
) -> Messages:
    return render_messages(template, fmt, instruction=instruction, count=count)


def _category_lines(template: PromptTemplate, categories: list[str]) -> str:
    glosses = dict(template.glosses)
    colon = TEXT_LABELS[template.language]["colon"]
    return "\n".join(
        f"- {name}{colon}{glosses[name]}" if name in glosses else f"- {name}" for name in categories
    )


def render_categorize_prompt(
    template: PromptTemplate, instruction: str, categories: list[str], fmt: AnswerFormat = "json"
) -> Messages:
    """The configured categories listed (with a gloss where the template has one); only the
    worked examples whose answer is one of them, so no example shows a name the model may not
    use."""
    shown = replace(template, demos=tuple(d for d in template.demos if d.answer["category"] in categories))
    return render_messages(
        shown, fmt, instruction=instruction, categories=_category_lines(template, categories)
    )
