"""Instances and classification verdicts from model output.

Ordinary tasks come back input-first ({input, output}); classification tasks label-first
({class_label, input}), read into (input, output=label). JSON (whole, with prose around it,
or cut off: complete objects kept) or the labelled plain text of the text format, in English
or Chinese, full-width colons included. After self-instruct, an input that appears with two
different outputs is dropped (the task is ambiguous there), and "<noinput>", "<无输入>" and
their variants become the empty input of the Alpaca format."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pipeline.generate.self_instruct.parse_json import json_candidates

NO_INPUT_MARKERS = {
    "",
    "<noinput>",
    "<no input>",
    "noinput",
    "no input",
    "<none>",
    "none",
    "n/a",
    "null",
    "<empty>",
    "empty",
    "<无输入>",
    "无输入",
    "<无>",
    "无",
    "（无）",
    "(无)",
    "空",
    "不需要输入",
}
PLACEHOLDER_TEXT = {"...", "…", "……", "input", "output", "输入", "输出", "class_label", "label"}
_LABEL_KEYS = ("class_label", "label", "class", "output")
_FIELD_LINE = re.compile(
    r"^\s*(?P<field>example\s*\d*|示例\s*\d*|例\s*\d+|class\s*label|label|类别标签|类别|标签|"
    r"input|输入|output|输出)\s*(?:\d+\s*)?(?P<colon>[:：])?\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
_QUOTES = ('"', "'", "“", "”", "「", "」")


@dataclass(frozen=True)
class ParsedInstance:
    input: str
    output: str


@dataclass
class ParsedInstances:
    instances: list[ParsedInstance] = field(default_factory=list)
    failure: str | None = None
    dropped: Counter[str] = field(default_factory=Counter)  # reason -> instances dropped


# "<noinput", "<no-input>", "<无输入" : markers a small model leaves unclosed or respells
_NO_INPUT_SPELLED = re.compile(r"^[<(（\[]?\s*(?:no[\s_-]*input|无输入|没有输入)\s*[>)）\]]?$", re.IGNORECASE)
_HAS_CONTENT = re.compile(r"\w")


def has_content(text: str) -> bool:
    """Some word characters, and not drowned in JSON debris like '}]}2, {'."""
    words = len(_HAS_CONTENT.findall(text))
    symbols = sum(not ch.isspace() for ch in text) - words
    return words > 0 and symbols <= 2 * words


def normalize_input(text: str) -> str:
    cleaned = " ".join(text.split()).strip().strip("".join(_QUOTES))
    if cleaned.casefold() in NO_INPUT_MARKERS or _NO_INPUT_SPELLED.match(cleaned):
        return ""
    return text.strip()


def _strip_no_input(output: str) -> str:
    """An output that opens with the no-input marker ("<无输入>\n...") lost its input line."""
    first, _, rest = output.strip().partition("\n")
    return rest.strip() if rest and normalize_input(first) == "" else output.strip()


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)  # a structured answer (extraction tasks)


def _from_item(item: Any, classification: bool) -> ParsedInstance | None:
    if not isinstance(item, dict):
        return None
    if classification:
        label = next((_as_text(item[k]) for k in _LABEL_KEYS if item.get(k) not in (None, "")), None)
        input_text = _as_text(item.get("input", ""))
        if label is None or input_text is None:
            return None
        return ParsedInstance(input=input_text, output=label)
    output = _as_text(item.get("output"))
    return None if output is None else ParsedInstance(_as_text(item.get("input", "")) or "", output)


def _items_from_json(text: str) -> list[Any] | None:
    for data in json_candidates(text):
        if isinstance(data, dict):
            data = data.get("instances", data.get("examples", [data]))
        if isinstance(data, list):
            return data
    return None


def _items_from_cut_json(text: str) -> list[Any]:
    """Complete objects of an array the token limit cut off."""
    decoder = json.JSONDecoder(strict=False)
    start = text.find("[")
    items: list[Any] = []
    position = text.find("{", start + 1) if start >= 0 else -1
    while position >= 0:
        try:
            item, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError:
            position = text.find("{", position + 1)
            continue
        items.append(item)
        position = text.find("{", end)
    return items


def _field_name(raw: str) -> str:
    name = raw.casefold().rstrip("0123456789 ")
    if name in ("example", "示例", "例"):
        return "example"
    if name in ("input", "输入"):
        return "input"
    if name in ("output", "输出"):
        return "output"
    return "label"


def _items_from_text(text: str, classification: bool) -> list[dict[str, str]]:
    """Labelled lines; a field runs on over the following unlabelled lines."""
    items: list[dict[str, str]] = []
    current: dict[str, str] = {}
    active: str | None = None
    starts_item = "label" if classification else "input"
    for line in text.splitlines():
        match = _FIELD_LINE.match(line)
        name = _field_name(match.group("field")) if match else ""
        if match is None or not (match.group("colon") or (name == "example" and not match.group("rest"))):
            if active is not None:
                current[active] += "\n" + line
            continue
        if name == "example" or name in current or (name == starts_item and current):
            if current:
                items.append(current)
            current, active = {}, None
            if name == "example":
                continue
        current[name] = match.group("rest")
        active = name
    if current:
        items.append(current)
    return [{k: _unquote(v.strip()) for k, v in item.items()} for item in items]


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] in _QUOTES and text[-1] in _QUOTES:
        return text[1:-1].strip()
    return text


def _copies(text: str, examples: frozenset[str]) -> bool:
    """The whole text, or one of its lines, is a line of the prompt's worked examples."""
    if not text or not examples:
        return False
    lines = [text] + [line for line in text.splitlines() if len(line.strip()) >= 6]
    return any(line.strip().casefold() in examples for line in lines)


def _vet(
    candidates: list[ParsedInstance], dropped: Counter[str], examples: frozenset[str]
) -> list[ParsedInstance]:
    kept: list[ParsedInstance] = []
    outputs_by_input: dict[str, set[str]] = {}
    for candidate in candidates:
        instance = ParsedInstance(normalize_input(candidate.input), _strip_no_input(candidate.output))
        if (
            instance.output.casefold() in PLACEHOLDER_TEXT
            or not has_content(instance.output)
            or instance.input.strip().casefold() in PLACEHOLDER_TEXT
        ):
            dropped["placeholder"] += 1
            continue
        if _copies(instance.input, examples) or _copies(instance.output, examples):
            dropped["copied_example"] += 1  # the prompt's worked example, echoed
            continue
        if instance in kept:
            dropped["duplicate_instance"] += 1
            continue
        outputs_by_input.setdefault(instance.input.casefold(), set()).add(instance.output.casefold())
        kept.append(instance)
    ambiguous = {key for key, outputs in outputs_by_input.items() if key and len(outputs) > 1}
    if ambiguous:
        dropped["conflicting_outputs"] += sum(i.input.casefold() in ambiguous for i in kept)
    return [i for i in kept if i.input.casefold() not in ambiguous]


def parse_instances(
    text: str, *, classification: bool, truncated: bool = False, examples: frozenset[str] = frozenset()
) -> ParsedInstances:
    """`examples`: casefolded inputs and outputs of the prompt's worked examples; an instance
    repeating one is dropped."""
    if not text or not text.strip():
        return ParsedInstances(failure="empty_response")
    dropped: Counter[str] = Counter()
    items = _items_from_json(text)
    if items is None:
        items = _items_from_cut_json(text)
    if not items:
        items = _items_from_text(text, classification)
        if truncated and items:
            items = items[:-1]
            dropped["truncated"] += 1
    candidates = [parsed for item in items if (parsed := _from_item(item, classification))]
    dropped["incomplete"] += len(items) - len(candidates)
    instances = _vet(candidates, dropped, examples)
    dropped = Counter({k: v for k, v in dropped.items() if v})
    if not instances:
        return ParsedInstances(
            failure="unparseable_response" if not candidates else "no_valid_instance", dropped=dropped
        )
    return ParsedInstances(instances=instances, dropped=dropped)


_YES = re.compile(r"^\W*(?:(?:yes|true)\b|是|对|属于)", re.IGNORECASE)
_NO = re.compile(r"^\W*(?:(?:no|false)\b|否|不是|不属于)", re.IGNORECASE)


def parse_classification(text: str | None) -> bool | None:
    """The verdict of the classification-identification step; None when unreadable."""
    if not text:
        return None
    for data in json_candidates(text):
        if isinstance(data, dict) and "is_classification" in data:
            value = data["is_classification"]
            if isinstance(value, bool):
                return value
            text = str(value)
            break
    stripped = text.strip()
    if _NO.match(stripped):
        return False
    if _YES.match(stripped):
        return True
    return None
