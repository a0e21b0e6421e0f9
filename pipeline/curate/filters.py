"""Heuristic filters from the papers (Alpaca/self-instruct for English, BELLE for Chinese) and
the output-side checks they never shipped. Each rule returns a reason code and its evidence,
or None to keep the record."""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pipeline.config import CurateConfig
from pipeline.curate.tokenize import cjk_ratio, normalize, tokenize
from pipeline.records import AlpacaRecord

Verdict = tuple[str, dict[str, Any]] | None

EN_BLACKLIST = (
    "image", "images", "graph", "graphs", "picture", "pictures", "file", "files", "map", "maps",
    "draw", "plot", "go to", "video", "audio", "music", "flowchart", "diagram",
)
ZH_BLACKLIST = ("图片", "图像", "图表", "照片", "链接", "网址", "视频", "音频", "音乐", "流程图", "绘制", "画一")
# ASCII look-arounds, not \b: in "请问ChatGPT" there is no word boundary before "C"
AI_MENTIONS = re.compile(r"(?<![a-z])(?:chatgpt|gpt|openai)(?![a-z])|语言模型", re.IGNORECASE)
_EN_BLACKLIST_RE = re.compile(r"\b(" + "|".join(re.escape(w) for w in EN_BLACKLIST) + r")\b", re.I)


def is_chinese(record: AlpacaRecord) -> bool:
    return record.lineage.language == "zh" or cjk_ratio(record.instruction) > 0.3


@dataclass(frozen=True)
class Rule:
    name: str
    check: Callable[[AlpacaRecord, CurateConfig], Verdict]


def _length(record: AlpacaRecord, config: CurateConfig) -> Verdict:
    if is_chinese(record):
        size = len(tokenize(record.instruction))
        low, high = 5, 300  # BELLE-style character limits
    else:
        size = len(record.instruction.split())
        low, high = config.min_instruction_words, config.max_instruction_words
    if size < low:
        return "too_short", {"length": size, "min": low}
    if size > high:
        return "too_long", {"length": size, "max": high}
    return None


def _blacklist(record: AlpacaRecord, config: CurateConfig) -> Verdict:
    if is_chinese(record):
        term = next((t for t in ZH_BLACKLIST if t in record.instruction), None)
    else:
        match = _EN_BLACKLIST_RE.search(record.instruction)
        term = match.group(1).lower() if match else None
    return (f"blacklist:{term.replace(' ', '_')}", {"term": term}) if term else None


def _ai_mention(record: AlpacaRecord, config: CurateConfig) -> Verdict:
    match = AI_MENTIONS.search(record.instruction)
    return ("mentions_ai", {"term": match.group(0)}) if match else None


def _starts_badly(record: AlpacaRecord, config: CurateConfig) -> Verdict:
    text = record.instruction.lstrip()
    if not text:
        return "empty_instruction", {}
    if text[0] in string.punctuation or text[0] in "，。！？；：、“”‘’（）【】《》":
        return "starts_with_punctuation", {"char": text[0]}
    if not is_chinese(record) and not text[0].isascii():
        return "starts_with_non_ascii", {"char": text[0]}
    if text.lower().startswith("write a program"):
        return "write_a_program", {}
    return None


def _output_checks(record: AlpacaRecord, config: CurateConfig) -> Verdict:
    output = normalize(record.output)
    if not output:
        return "empty_output", {}
    if record.lineage.finish_reason == "length":
        return "truncated_output", {"finish_reason": "length"}
    if output == normalize(record.instruction):
        return "output_equals_instruction", {}
    if record.input and output == normalize(record.input):
        return "output_equals_input", {}
    return None


FILTER_RULES = (
    Rule("length", _length),
    Rule("starts", _starts_badly),
    Rule("blacklist", _blacklist),
    Rule("ai_mention", _ai_mention),
)
OUTPUT_RULES = (Rule("output", _output_checks),)


def first_violation(record: AlpacaRecord, config: CurateConfig, rules: tuple[Rule, ...]) -> Verdict:
    for rule in rules:
        verdict = rule.check(record, config)
        if verdict is not None:
            return verdict
    return None
