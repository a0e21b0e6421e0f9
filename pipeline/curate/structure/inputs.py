"""Instructions that point at material the record does not hold.

"Summarize the following article." with no input, "Tell a joke based on this article." over
five words: the generator wrote a task about a text and then did not give the text (or gave a
scrap of one). Instructions referring to an input that is missing were among the commonest
faults of the original Alpaca data that its cleaned re-releases repaired by hand.

A reference counts only where the material is not in the instruction itself: after a colon,
in quotes, or in a sentence that follows ("Translate the following sentence. I love books.").
A text the instruction introduces itself ("Write a story, then give this story a title") is
not a reference to the input."""

from __future__ import annotations

import re

from pipeline.curate.pattern_screen import screened

# what a task can point at, in the singular; a plural "s" is allowed after each
_MATERIAL = (
    r"article|passage|paragraph|text|sentence|story|essay|document|report|email|e-mail|letter|review|"
    r"poem|tweet|post|code|snippet|program|function|query|table|list|dataset|data|numbers?|words?|"
    r"conversation|dialogue|excerpt|quote|quotation|statement|speech|song|lyrics|recipe|input|"
    r"equation|expression|string|array|phrase|questions?|news|headline|title|description|summary|"
    r"transcript|scenario|situation|argument|claim|definition|sequence|series|set|pairs?|options?|choices"
)
# long-form material: a handful of words cannot be one
_LONG_FORM = r"article|passage|paragraph|story|essay|document|report|speech|transcript"
_TIME = r"day|days|week|weeks|month|months|year|years|morning|evening|night|season|decade|century"

_POINTER_EN = screened(
    rf"\b(?:the|these)\s+(?:following|given|provided|above|attached|accompanying|supplied)"
    rf"(?:\s+(?!(?:{_TIME})\b)[\w-]+){{0,2}}?\s+(?P<noun>{_MATERIAL})s?\b"
    rf"|\bthe\s+(?:following|above)\b(?!\s+(?:{_TIME})\b)(?P<bare>)"
    rf"|\b(?:the|this|these)\s+(?P<noun_after>{_MATERIAL})s?\s+(?:below|above|provided|given|supplied)\b"
    rf"|\b(?:in|from|of|on|about|to|for|summari[sz]e|translate|rewrite|classify|analy[sz]e|proofread|"
    rf"edit|paraphrase|read|sort|reverse|debug|fix|explain|correct|improve|shorten|simplify)\s+"
    rf"this\s+(?P<noun_this>{_MATERIAL})s?\b",
    re.IGNORECASE,
)
_MATERIAL_ZH = (
    r"文章|段落|段话|句话|文字|文本|句子|短文|故事|诗歌|诗|代码|程序|函数|列表|表格|数据|数字|单词|词语|"
    r"邮件|信|评论|对话|问题|方程|材料|内容|新闻|报道|文段|演讲|歌词|清单|选项|资料|描述|论点|观点"
)
_LONG_FORM_ZH = r"文章|段落|短文|故事|新闻|报道|文段|演讲|材料"
_POINTER_ZH = re.compile(
    rf"(?:下面|下列|以下|如下|下述|上面|上述|给定|所给|提供|附上)的?(?:这|那)?[段篇句首个份封则条组]?"
    rf"(?P<noun>{_MATERIAL_ZH})"
    rf"|(?:这|该|此)[段篇句首份封则条组]?(?P<noun_this>{_MATERIAL_ZH})"
)
# the material itself after the reference: after a colon or a line break close behind it (not
# the colon of a later clause: "根据这段文字，回答问题：…"), in quotes, or in a sentence that follows
_INLINE_EN = re.compile(
    r"^[^.?!:\n]{0,40}[:\n]\s*\S|(?:^|[\s(])[\"“'‘`][^\"”'’`]{3,}|[.?!]\s+\S+(?:\s+\S+){2,}"
)
_INLINE_ZH = re.compile(r"^[^。？！，,]{0,8}[：:\n]\s*\S|[“「『《\"][^”」』》\"]{2,}|[。？！?!]\s*\S{6,}")
_NO_INPUT = {
    "",
    "<noinput>",
    "noinput",
    "no input",
    "n/a",
    "na",
    "none",
    "null",
    "nil",
    "-",
    "无",
    "无输入",
    "空",
}
_FEWEST_WORDS = 6  # a passage, article or story of fewer words is a scrap
_FEWEST_CHARACTERS_ZH = 10


def _introduced(instruction: str, start: int, noun: str) -> bool:
    """The instruction names the thing itself before pointing at it ("Write a story … this story")."""
    before = instruction[:start].lower()
    stem = noun.lower().rstrip("s")
    return bool(re.search(rf"\b(?:a|an|one|your|my)\s+(?:[\w-]+\s+){{0,2}}{re.escape(stem)}", before)) or (
        stem in before and bool(re.search(r"[\u4e00-\u9fff]", stem))
    )


def _pointer(instruction: str, chinese: bool) -> tuple[str, str] | None:
    """The first reference to material not in the instruction: (its words, the noun)."""
    pattern, inline = (_POINTER_ZH, _INLINE_ZH) if chinese else (_POINTER_EN, _INLINE_EN)
    for match in pattern.finditer(instruction):
        groups = match.groupdict()
        noun = next((groups[name] for name in ("noun", "noun_after", "noun_this") if groups.get(name)), "")
        if groups.get("noun_this") and _introduced(instruction, match.start(), noun):
            continue
        if inline.search(instruction[match.end() :]):
            return None  # the material follows in the instruction itself
        return match.group(0).strip(), noun or "text"
    return None


def _characters(text: str) -> int:
    return len(re.sub(r"\W", "", text))


def _scrap(given: str, noun: str, chinese: bool) -> bool:
    """A long-form text that is only a few words."""
    if chinese:
        return bool(re.fullmatch(_LONG_FORM_ZH, noun)) and _characters(given) < _FEWEST_CHARACTERS_ZH
    return bool(re.fullmatch(_LONG_FORM, noun.lower())) and len(given.split()) < _FEWEST_WORDS


def missing_input(instruction: str, given: str, chinese: bool) -> str | None:
    """Why the instruction points at material the record lacks, or None."""
    found = _pointer(instruction, chinese)
    if found is None:
        return None
    words, noun = found
    text = given.strip()
    if text.casefold() in _NO_INPUT:
        return f"refers to {words!r} and the input is empty"
    if _scrap(text, noun, chinese):
        size = f"{_characters(text)} characters" if chinese else f"{len(text.split())} words"
        return f"refers to {words!r} and the input is {size}"
    return None
