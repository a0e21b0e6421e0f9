"""Narrow asks and the answers that miss them: one of the options a which-one question lists,
one word or idiom (not its definition), a date, a chemical formula, one ranked thing (not a
ranking), the input reworked (not talked about), and an answer in the task's own language.
`asks.reading` reads the asks; `answers.wrong_type` calls the checks."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from pipeline.curate.pattern_screen import screened
from pipeline.text import cjk_ratio

if TYPE_CHECKING:
    from pipeline.curate.structure.asks import Asks

_CHOICE = screened(
    r"\bwhich\b[^?:\n]{0,60}[:,]\s*([^?:\n]{3,80}?\bor\b[^?:\n]{1,30})\?\s*$"
    r"|((?:(?![、和与或])[\u4e00-\u9fff]){1,8}(?:[、和与或](?:(?![、和与或])[\u4e00-\u9fff]){1,8}){1,5})"
    r"(?:中|之中|里|当中)[，,]?\s*哪",
    re.IGNORECASE,
)


def choices(instruction: str) -> tuple[str, ...]:
    """The options of a "which one" question, when it lists two to six short ones."""
    match = _CHOICE.search(instruction)
    if not match:
        return ()
    listed = match.group(1) or match.group(2)
    parts = re.split(r"\s*,\s*(?:or\s+)?|\s+or\s+|[、和与或]", listed)
    found = [
        re.sub(r"^(?:an?|the)\s+", "", part.strip(" \"'“”"), flags=re.IGNORECASE).lower() for part in parts
    ]
    found = [part for part in found if part]
    if found and match.group(
        2
    ):  # "在苹果、香蕉和橙子中" / "请问猫和狗中": the first option without its lead-in
        found[0] = re.sub(r"^(?:请问|对于|关于|以下|下面|在|从|问)", "", found[0]) or found[0]
    if not 2 <= len(found) <= 6 or any(len(part.split()) > 3 for part in found):
        return ()
    return tuple(found)


BULLET = re.compile(  # an item opening a line: "- ", "1.", "2、", "(3)"
    r"^[ \t]*(?:[-*•·]|\d{1,2}[ \t]*[.)、]|[(（]\d{1,2}[)）])[ \t]*\S", re.MULTILINE
)

# the answer is one word or idiom, not its definition
ONE_WORD = screened(
    r"\b(?:one|a single) word\b|\bone-word\b|\bin a word\b"
    r"|一个(?:成语|词语?|四字词语?)|用(?:四字)?成语(?:形容|概括|来)",
    re.IGNORECASE,
)
DATE = screened(
    r"\b(?:what|which) (?:is the )?date\b|\bon what date\b|\bwhat day of the year\b"
    r"|几月几[日号]|哪月哪[日号]",
    re.IGNORECASE,
)
# an edit or a translation of the input: an output equal to the input, or talk about it, did not do it
EDITS = screened(
    r"\b(?:correct|fix|edit|proofread|rewrite|rephrase|paraphrase|revise|reword|improve|polish|"
    r"capitali[sz]e|punctuat\w*|simplify|translat\w*)|\bcapital letters\b"
    r"|改正|纠正|修改|改写|润色|标点|错别字|翻译|译成|白话|简化|改成|改为",
    re.IGNORECASE,
)
FORMULA = screened(r"\b(?:chemical|molecular) formula\b|化学式|分子式", re.IGNORECASE)
# one thing asked for by its rank: "Name the smallest country", "面积最大的沙漠是哪一个"
ONE_THING = screened(
    r"^\s*(?:name|what is|what's|which is|identify|who is|who was|who wrote) the "
    r"(?:\w+est|most \w+|first|only)\b(?: \w+){1,2}(?<!s)(?: in| of| by| on| to|\?|\.|$)"
    r"|最[\u4e00-\u9fff]{1,3}的[\u4e00-\u9fff]{1,8}是(?:哪一个|哪个|哪一座|哪一条|哪条|哪一位|哪位|谁)",
    re.IGNORECASE,
)


_DATE_SIGNAL = screened(
    r"\d|\b(?:january|february|march|april|may|june|july|august|september|october|november|december)\b"
    r"|[一二三四五六七八九十]+月|[初廿][一二三四五六七八九十]",
    re.IGNORECASE,
)
_FORMULA_SIGNAL = re.compile(r"\b(?:[A-Z][a-z]?[\d₀-₉]*){2,}\b|\b[A-Z][a-z]?[\d₀-₉]+")
# talk about the input where the input reworked is asked: "This sentence is written in legal language"
_COMMENTARY = screened(
    r"^\s*(?:this|the) (?:sentence|text|passage|paragraph|phrase|line|quote|verse|original)\s+"
    r"(?:is|was|comes|uses|means|refers|contains|describes|has)\b"
    r"|^\s*(?:这句话|这段话|这句|该句|本句|这段文字|原句|这句诗|这首诗|原文)(?:出自|是(?!说)|描写|用了|选自)",
    re.IGNORECASE,
)
_LANGUAGE_NAMED = screened(
    r"\b(?:english|chinese|mandarin|translat\w*|pinyin)\b|英|汉语|中文|拼音|翻译|字母", re.IGNORECASE
)
_OPENING_PHRASE = re.compile(r"^[^.,:;!?(—–。，：；！？（]*")


def _not_one_word(said: str, chinese: bool) -> bool:
    """A definition where one word or idiom is asked: its first phrase is a clause, not a word."""
    head = _OPENING_PHRASE.match(said.strip()).group(0)  # type: ignore[union-attr]
    if chinese:
        return len(head) > 8 or head.startswith(("形容", "指", "意思", "表示", "比喻"))
    return len(head.split()) > 5


def other_language(asks: Asks, instruction: str, said: str) -> str | None:
    """A Chinese task answered in English prose, or an English one in Chinese, where no
    language, translation or code is in question."""
    if asks.code or asks.markup or asks.translation_to or _LANGUAGE_NAMED.search(instruction):
        return None
    asked_chinese = cjk_ratio(instruction) > 0.5
    if asked_chinese and cjk_ratio(said) == 0 and len(re.findall(r"[A-Za-z]{2,}", said)) >= 8:
        return "zh"
    if not asked_chinese and instruction.isascii() and cjk_ratio(said) > 0.8 and len(said) >= 12:
        return "en"
    return None


def another_kind(asks: Asks, given: str, said: str, chinese: bool) -> dict[str, object] | None:
    """The narrower asks: one word, a date, a formula, one thing (not a ranking), the input
    reworked (not talked about)."""
    if asks.one_word and _not_one_word(said, chinese):
        return {"asked": "one word", "found": said[:40]}
    if asks.date and not _DATE_SIGNAL.search(said):
        return {"asked": "a date", "found": said[:40]}
    if asks.formula and not _FORMULA_SIGNAL.search(said):
        return {"asked": "a formula", "found": said[:40]}
    items = len(BULLET.findall(said)) if asks.one_thing else 0
    if items >= 3:
        return {"asked": "one answer", "found": f"a list of {items}"}
    reworks = asks.over_input or asks.copy_allowed or asks.edits
    if reworks and given and _COMMENTARY.search(said) and not _COMMENTARY.search(given):
        return {"asked": "the input reworked", "found": said[:40]}
    return None
