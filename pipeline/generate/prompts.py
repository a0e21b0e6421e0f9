"""Versioned prompt templates. A template's version is part of every record's lineage and of
the journal key, so editing a template must bump its version.

Generation follows self-instruct's two steps: new instructions from a list of seed and
machine instructions, then an answer for each instruction on its own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PromptTemplate:
    name: str
    version: str
    language: str
    system: str
    user: str

    @property
    def tag(self) -> str:
        return f"{self.name}@{self.version}"


INSTRUCTIONS = {
    "en": PromptTemplate(
        name="self_instruct_instructions_en", version="1", language="en",
        system="You write diverse tasks that users ask an AI assistant. You answer in JSON.",
        user=(
            "Here are tasks that users asked an AI assistant:\n{examples}\n\n"
            "Write {count} new tasks that differ from these in topic and wording. Each task is "
            "one clear sentence, a command or a question of 5 to 40 words, that an assistant "
            'can answer in text. Answer as JSON: {{"instructions": ["...", "..."]}}'
        ),
    ),
    "zh": PromptTemplate(
        name="self_instruct_instructions_zh", version="1", language="zh",
        system="你为中文AI助手编写多样的用户任务。你用JSON回答。",
        user=(
            "以下是用户向AI助手提出的任务：\n{examples}\n\n"
            "请写{count}个新任务，主题和措辞都要与上面不同。每个任务是一句清楚的中文命令或问题，"
            '助手可以用文字完成。用JSON回答：{{"instructions": ["...", "..."]}}'
        ),
    ),
}

ANSWERS = {
    "en": PromptTemplate(
        name="self_instruct_answer_en", version="1", language="en",
        system="You are a helpful assistant. Answer the user's task directly and concisely.",
        user="{instruction}{input_block}",
    ),
    "zh": PromptTemplate(
        name="self_instruct_answer_zh", version="1", language="zh",
        system="你是一个乐于助人的助手。请用中文直接、简洁地完成用户的任务。",
        user="{instruction}{input_block}",
    ),
}


def instructions_schema(count: int) -> dict[str, Any]:
    """JSON schema the embedded server turns into a grammar, so the answer always parses."""
    return {
        "type": "object",
        "properties": {
            "instructions": {"type": "array", "items": {"type": "string"},
                             "minItems": 1, "maxItems": count},
        },
        "required": ["instructions"],
    }


def render_instructions_prompt(
    template: PromptTemplate, examples: list[str], count: int
) -> list[dict[str, str]]:
    numbered = "\n".join(f"{n}. {text.strip()}" for n, text in enumerate(examples, start=1))
    return [
        {"role": "system", "content": template.system},
        {"role": "user", "content": template.user.format(examples=numbered, count=count)},
    ]


def render_answer_prompt(template: PromptTemplate, instruction: str, input_text: str = "") -> list[dict[str, str]]:
    block = f"\n\n{input_text.strip()}" if input_text.strip() else ""
    return [
        {"role": "system", "content": template.system},
        {"role": "user", "content": template.user.format(instruction=instruction, input_block=block)},
    ]
