"""Instruction filters from the papers: Alpaca/self-instruct for English, BELLE for Chinese.

English (Alpaca): more than 3 and at most 150 words; no blacklisted word (word boundaries,
any case); not starting with punctuation or a non-ASCII character; not "Write a program".
Chinese (BELLE): more than 3 characters; with an input, under 100 characters (150 when the
instruction gives examples); no blacklisted term (substrings); no mention of GPT/OpenAI.
"""

from __future__ import annotations

import re
import string
from functools import lru_cache

from pipeline.curate.config import FilterConfig
from pipeline.curate.verdict import Rule, Verdict, first_violation
from pipeline.curate.views import input_of, instruction_of, is_chinese
from pipeline.records import Record

CJK_PUNCTUATION = "，。！？；：、“”‘’（）【】《》「」『』…—·～"
# ASCII look-arounds, not \b: in "请问ChatGPT" there is no word boundary before "C"
_AI_MENTION = re.compile(r"(?<![a-z])(?:chatgpt|gpt(?:-?\d(?:\.\d)?)?|openai)(?![a-z])", re.I)
_GIVES_EXAMPLES = ("示例", "例子")


@lru_cache(maxsize=8)
def _word_pattern(words: tuple[str, ...]) -> re.Pattern[str] | None:
    if not words:
        return None
    alternatives = "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))
    return re.compile(rf"\b({alternatives})\b", re.IGNORECASE)


def _length(record: Record, config: FilterConfig) -> Verdict | None:
    instruction = instruction_of(record).strip()
    high: int | None
    if is_chinese(record):
        size, unit, low = len(instruction), "chars", config.zh_min_chars
        if input_of(record).strip():
            examples = any(marker in instruction for marker in _GIVES_EXAMPLES)
            under = config.zh_max_chars_with_examples if examples else config.zh_max_chars_with_input
            high = under - 1  # BELLE keeps instructions *under* these lengths
        else:
            high = config.zh_max_chars
    else:
        size, unit = len(instruction.split()), "words"
        low, high = config.min_words, config.max_words
    if size < low:
        return Verdict("too_short", {"length": size, "unit": unit, "min": low})
    if high is not None and size > high:
        return Verdict("too_long", {"length": size, "unit": unit, "max": high})
    return None


def _start(record: Record, config: FilterConfig) -> Verdict | None:
    text = instruction_of(record).lstrip()
    if not text:
        return Verdict("empty_instruction", {})
    if text[0] in string.punctuation or text[0] in CJK_PUNCTUATION:
        return Verdict("starts_with_punctuation", {"char": text[0]})
    if not is_chinese(record) and not text[0].isascii():
        return Verdict("starts_with_non_ascii", {"char": text[0]})
    if config.drop_write_a_program and text.lower().startswith("write a program"):
        return Verdict("write_a_program", {"term": text[:15]})
    return None


def _blacklist(record: Record, config: FilterConfig) -> Verdict | None:
    instruction = instruction_of(record)
    if is_chinese(record):
        lowered = instruction.lower()
        term = next((t for t in config.zh_blacklist if t.lower() in lowered), None)
    else:
        pattern = _word_pattern(tuple(config.blacklist))
        match = pattern.search(instruction) if pattern else None
        term = match.group(1).lower() if match else None
    if term is None:
        return None
    return Verdict(f"blacklist:{'_'.join(term.split())}", {"term": term, "field": "instruction"})


def _ai_mention(record: Record, config: FilterConfig) -> Verdict | None:
    if not config.drop_ai_mentions:
        return None
    for field, text in (("instruction", instruction_of(record)), ("input", input_of(record))):
        match = _AI_MENTION.search(text)
        if match:
            return Verdict("mentions_ai", {"term": match.group(0), "field": field})
    return None


FILTER_RULES: tuple[Rule[FilterConfig], ...] = (
    Rule("start", _start),
    Rule("length", _length),
    Rule("blacklist", _blacklist),
    Rule("ai_mention", _ai_mention),
)


def check_filters(record: Record, config: FilterConfig) -> Verdict | None:
    return first_violation(record, config, FILTER_RULES)
