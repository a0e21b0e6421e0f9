"""Structured output: ask for JSON matching a schema, check the answer, and ask again with the
error when it does not match.

Modes (how the schema reaches the server):
- `llama_cpp`: `response_format={"type": "json_object", "schema": ...}` — llama.cpp's server
  turns it into a grammar; its OpenAI-style "json_schema" type is an HTTP 500 there.
- `openai`: `response_format={"type": "json_schema", "json_schema": {...}}` (OpenAI, vLLM, ...).
- `text`: no response_format; the schema goes into the prompt and the JSON is dug out of the
  answer (code fences, prose around it) — for servers without structured output.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal

import jsonschema
from pydantic import BaseModel, ValidationError

StructuredMode = Literal["llama_cpp", "openai", "text"]

_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)


def resolve_mode(configured: str, embedded: bool) -> StructuredMode:
    if configured == "auto":
        return "llama_cpp" if embedded else "openai"
    return configured  # type: ignore[return-value]


def response_format(
    mode: StructuredMode, schema: dict[str, Any], name: str = "answer"
) -> dict[str, Any] | None:
    if mode == "llama_cpp":
        return {"type": "json_object", "schema": schema}
    if mode == "openai":
        return {"type": "json_schema", "json_schema": {"name": name, "schema": schema}}
    return None


def schema_instruction(schema: dict[str, Any]) -> str:
    return (
        "\n\nAnswer with only one JSON object, no other text, that matches this JSON schema:\n"
        + json.dumps(schema, ensure_ascii=False)
    )


def with_schema_in_prompt(messages: list[dict[str, str]], schema: dict[str, Any]) -> list[dict[str, str]]:
    """The text mode's messages: the schema joins the last user message (some chat templates
    refuse a system message anywhere but first)."""
    out = [dict(m) for m in messages]
    for message in reversed(out):
        if message.get("role") == "user":
            message["content"] = (message.get("content") or "") + schema_instruction(schema)
            return out
    return out + [{"role": "user", "content": schema_instruction(schema).strip()}]


def extract_json(text: str) -> Any:
    """The JSON value in a model's answer; raises ValueError when there is none.

    Raw newlines inside strings are accepted (small models emit them)."""
    candidates = [text.strip()] + [m.strip() for m in _FENCE.findall(text)]
    for open_, close in (("{", "}"), ("[", "]")):
        start, end = text.find(open_), text.rfind(close)
        if 0 <= start < end:
            candidates.append(text[start : end + 1])
    for candidate in candidates:
        try:
            return json.loads(candidate, strict=False)
        except ValueError:
            continue
    raise ValueError("no JSON value found in the answer")


@dataclass(frozen=True)
class Checked:
    value: Any = None
    reason: str | None = None  # invalid_json | schema_mismatch | truncated
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.reason is None


def check(
    text: str, schema: dict[str, Any], model: type[BaseModel] | None, finish_reason: str | None
) -> Checked:
    cut_off = finish_reason == "length"
    try:
        data = extract_json(text)
    except ValueError as exc:
        return Checked(reason="truncated" if cut_off else "invalid_json", error=str(exc))
    try:
        if model is not None:
            return Checked(value=model.model_validate(data))
        jsonschema.validate(data, schema)
        return Checked(value=data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or '(root)'}: {e['msg']}" for e in exc.errors()[:5]
        )
        return Checked(reason="truncated" if cut_off else "schema_mismatch", error=problems)
    except jsonschema.ValidationError as exc:
        where = ".".join(map(str, exc.absolute_path)) or "(root)"
        return Checked(reason="truncated" if cut_off else "schema_mismatch", error=f"{where}: {exc.message}")


def reask_messages(messages: list[dict[str, str]], answer: str, checked: Checked) -> list[dict[str, str]]:
    """The original conversation, the failed answer, and what was wrong with it."""
    if checked.reason == "truncated":
        problem = "It was cut off before the JSON was complete; give a shorter answer."
    else:
        problem = f"It is not valid for the required JSON schema: {checked.error}."
    return [
        *messages,
        {"role": "assistant", "content": answer},
        {"role": "user", "content": f"{problem} Reply again with only the corrected JSON object."},
    ]
