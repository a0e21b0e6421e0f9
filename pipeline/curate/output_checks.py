"""Checks on the answer side, which none of the original projects shipped: empty answers,
answers that repeat the question, truncated answers, refusals and "as an AI language model"
self-references, answers in another language than the question, template leftovers
(unfilled placeholders, chat-template tokens, generation-format markers) and answers caught in
a loop (the same words over and over).

An Alpaca record has one answer (`output`); a dialogue has one per assistant turn."""

from __future__ import annotations

import re

from pipeline.curate.config import OutputCheckConfig
from pipeline.curate.language import detect, names_language
from pipeline.curate.pattern_screen import screened
from pipeline.curate.repetition import repeated_share
from pipeline.curate.verdict import Rule, Verdict, first_violation
from pipeline.curate.views import answers_of, input_of, instruction_of, text_fields
from pipeline.records import Record
from pipeline.text import normalize

_SELF_REFERENCE = screened(
    r"\bas an? (?:ai|artificial intelligence)(?: language)?(?: model| assistant)?\b"
    r"|\bas a (?:large )?language model\b|\bi(?:'m| am) (?:just |only )?an? (?:ai|language model)\b"
    r"|作为一(?:个|名)?(?:ai|人工智能|语言模型)|作为(?:ai|人工智能)(?:语言模型|助手)?|我是一个(?:ai|人工智能)",
    re.IGNORECASE,
)
_REFUSAL = screened(
    r"\bi(?:'m| am) (?:sorry|afraid),? (?:but )?i (?:can(?:'t|not)|am unable|won't)"
    r"|\bi (?:can(?:'t|not)|am unable to|am not able to|won't be able to) "
    r"(?:help|assist|provide|fulfil|fulfill|comply|answer|generate|create|complete|do that)"
    r"|\bi (?:do not|don't) have (?:access to|the ability to)"
    r"|(?:抱歉|对不起|很遗憾)[，,]?\s*我(?:无法|不能|没有办法)|我(?:无法|不能)(?:提供|回答|完成|帮助|满足)",
    re.IGNORECASE,
)
_REFUSAL_WINDOW = 240  # refusals open the answer; later "I cannot stress enough" is prose
_TEMPLATE_LEFTOVER = screened(
    r"<\s*no\s*(?:input|output)\s*>|<无输入>|<无输出>"
    r"|<\|(?:im_start|im_end|endoftext|eot_id|assistant|user|system)\|>|</s>|\[/?INST\]|<<SYS>>"
    r"|\{\{\s*\w+\s*\}\}|\{(?:instruction|input|output|question|answer)\}"
    r"|\[(?:your|insert|enter|add) [^\]\n]{1,40}\]|\[(?:你的|您的|插入)[^\]\n]{1,20}\]"
    r"|^\s*(?:#{2,}\s*)?(?:\d+\.\s*)?(?:instruction|response)\s*:|^\s*\d+\.\s*(?:input|output)\s*:"
    r"|^\s*(?:\d+\.\s*)?(?:指令|输入|输出)\s*[:：]",
    re.IGNORECASE | re.MULTILINE,
)
_DANGLING_WORDS = frozenset("and or but the a an of to with because that which".split())
_DANGLING_CHARS = ",:;(-，、：；（"


def _empty(record: Record, config: OutputCheckConfig) -> Verdict | None:
    for answer in answers_of(record):
        if not any(char.isalnum() for char in answer.text):
            return Verdict("empty_output", {"field": answer.field})
    return None


def _truncated(record: Record, config: OutputCheckConfig) -> Verdict | None:
    if record.lineage.finish_reason == "length":
        return Verdict("truncated_output", {"evidence": "finish_reason=length"})
    if not config.truncation_heuristics:
        return None
    for answer in answers_of(record):
        text = answer.text.rstrip()
        if text.count("```") % 2:
            return Verdict("truncated_output", {"evidence": "unclosed_code_fence", "field": answer.field})
        words = text.split()
        if text[-1:] in _DANGLING_CHARS or (words and words[-1].lower() in _DANGLING_WORDS):
            return Verdict(
                "truncated_output", {"evidence": "dangling_end", "term": text[-20:], "field": answer.field}
            )
    return None


def _echo(record: Record, config: OutputCheckConfig) -> Verdict | None:
    instruction, given = normalize(instruction_of(record)), normalize(input_of(record))
    for answer in answers_of(record):
        said = normalize(answer.text)
        if said in (instruction, normalize(answer.asked)):
            return Verdict("output_equals_instruction", {"field": answer.field})
        if given and said == given:
            return Verdict("output_equals_input", {"field": answer.field})
    return None


def _self_reference_or_refusal(record: Record, config: OutputCheckConfig) -> Verdict | None:
    for answer in answers_of(record):
        match = _SELF_REFERENCE.search(answer.text)
        if match:
            return Verdict("ai_self_reference", {"term": match.group(0), "field": answer.field})
        match = _REFUSAL.search(answer.text[:_REFUSAL_WINDOW])
        if match:
            return Verdict("refusal", {"term": match.group(0), "field": answer.field})
    return None


def _template_leftover(record: Record, config: OutputCheckConfig) -> Verdict | None:
    for field, text in text_fields(record):
        match = _TEMPLATE_LEFTOVER.search(text)
        if match:
            return Verdict("template_leftover", {"term": match.group(0).strip(), "field": field})
    return None


def _repetition(record: Record, config: OutputCheckConfig) -> Verdict | None:
    if config.repetition_share >= 1:
        return None
    for answer in answers_of(record):
        loop = repeated_share(answer.text, config.repetition_share)
        if loop is not None:
            evidence = {"term": loop.phrase, "times": loop.times, "share": loop.share, "field": answer.field}
            return Verdict("repetitive_output", evidence)
    return None


def _language_mismatch(record: Record, config: OutputCheckConfig) -> Verdict | None:
    if not config.language_mismatch:
        return None
    codes = tuple(config.languages)
    for answer in answers_of(record):
        said = detect(answer.text, codes, config.language_min_letters)
        if said is None or said.confidence < config.language_min_confidence:
            continue
        if said.code == record.lineage.language:
            continue  # the usual case, settled without looking at the question
        asked = detect(answer.asked, codes, 1)
        expected = asked.code if asked is not None else record.lineage.language
        if said.code != expected and not names_language(answer.asked, said.code):
            return Verdict(
                "language_mismatch",
                {
                    "expected": expected,
                    "found": said.code,
                    "confidence": round(said.confidence, 3),
                    "field": answer.field,
                },
            )
    return None


OUTPUT_RULES: tuple[Rule[OutputCheckConfig], ...] = (
    Rule("empty", _empty),
    Rule("truncated", _truncated),
    Rule("echo", _echo),
    Rule("self_reference_or_refusal", _self_reference_or_refusal),
    Rule("template_leftover", _template_leftover),
    Rule("repetition", _repetition),
    Rule("language", _language_mismatch),
)


def check_outputs(record: Record, config: OutputCheckConfig) -> Verdict | None:
    return first_violation(record, config, OUTPUT_RULES)
