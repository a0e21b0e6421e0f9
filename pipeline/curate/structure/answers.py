"""Answers that are not answers: the output stops mid-word or mid-list, shares nothing with the
input it was to work on, or is of another type than the task asks for (a label where
writing is asked, prose where a label is asked, no code where code is asked, no number where a
number is asked, the source language where a translation is asked)."""

from __future__ import annotations

import re

from pipeline.curate.pattern_screen import screened, search_tail, tokens
from pipeline.curate.rouge import rouge_l_f1_fast as rouge_l_f1
from pipeline.curate.structure.asks import Asks, has_number, looks_like_code
from pipeline.curate.structure.fragments import dangling_end
from pipeline.curate.structure.narrow import BULLET, another_kind, other_language
from pipeline.curate.structure.roles import content_words, may_reach
from pipeline.text import cjk_ratio

_WORDS_EN = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
    "七": 7, "八": 8, "九": 9, "十": 10,
}  # fmt: skip
_ANNOUNCED = screened(
    r"\b(?:here are|these are|the following|below are|there are)\s+(?:the\s+)?(\d{1,2}|one|two|three|four|"
    r"five|six|seven|eight|nine|ten)\b[^.:\n]{0,40}[:.]?\s*$"
    r"|(?:以下是|下面是|有|包括)(\d{1,2}|[一二两三四五六七八九十])(?:个|条|种|点|步|项|条建议)[^。：:\n]{0,20}[：:]?\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_PROSE_END = ".?!。？！…\"'”’」』》)）]}*`>;；:："
_BARE_MARKER_END = re.compile(r"(?:^|\n)[ \t]*(?:\d{1,2}[.)、]|[-*•])\s*$")
_ITEM = re.compile(r"^[ \t]*(?:\d{1,2}[.)、]|[-*•])[ \t]*(.*)$", re.MULTILINE)
_ZH_DANGLING = re.compile(
    r"[\u4e00-\u9fff](?:的|和|与|及|以及|把|在|对|从|向|被|给|是|于是|然后|所以|但是|而且|并且|因为|包括|例如|比如)$"
    r"|[\u4e00-\u9fff]{2}[于从至]\d{1,3}$"  # a year or a figure cut after its first digits: "…于19"
)
_OPERATORS = "=+×÷*/^<([{（√±−"
_NUMERAL_WINDOW = re.compile(r"(?=(\w?[零一二三四五六七八九十百千万两半\d]+\w?))")
_LABELS = screened(
    r"\b(?:yes|no|true|false|positive|negative|neutral|correct|incorrect|valid|invalid|spam|"
    r"not spam|agree|disagree|fact|opinion|formal|informal|mixed)\b"
    r"|是|否|不是|正确|错误|正面|负面|中性|对|错",
    re.IGNORECASE,
)
_YES_NO_ANSWER = screened(
    r"\b(?:yes|no|true|false|correct|incorrect|not)\b|是|否|不|没|对|错|正确|错误|可以|不能", re.IGNORECASE
)


_SQL_END = re.compile(
    r"\b(?:select|from|where|and|or|by|join|on|limit|values|set|into|having|as|order|group|inner|left|"
    r"right|outer|full|not|in|like|between|distinct|case|when|then|else|union|is)\s*$",
    re.I,
)
# a calculation that stops on its operation: "350的18%等于350乘以", "… is 12 times"
_WORD_OPERATOR_END = re.compile(
    r"(?:乘以|除以|加上|减去|等于|再加|再减)\s*$"
    r"|\b(?:plus|minus|divided by|multiplied by|equals)\s*$",
    re.I,
)


def _prose_line(line: str) -> bool:
    words = line.split()
    if line.lstrip().startswith(("-", "*", "•", "#", "|", "`")) or looks_like_code(line):
        return False
    capitalised = sum(word[:1].isupper() for word in words)
    return not (len(words) >= 2 and capitalised >= 0.7 * len(words))  # a title


_SALUTATION = re.compile(
    r"^\s*(?:dear|hi|hello|to|greetings)\b[^\n]{0,40}[,，]$|^\s*(?:亲爱的|尊敬的)[^\n]{0,20}[，,：:]$", re.I
)
_TABLE_ROW = re.compile(r"^[ \t]*\|[^\n]*\|[ \t]*$", re.MULTILINE)
_BRACKETS = {")": "(", "]": "[", "}": "{"}


def _unclosed(code: str) -> bool:
    """More brackets opened than closed (strings ignored roughly: quotes skipped in pairs)."""
    stripped = re.sub(r"'[^'\n]*'|\"[^\"\n]*\"", "", code)
    return any(stripped.count(opener) > stripped.count(closer) for closer, opener in _BRACKETS.items())


def _short_last_row(text: str) -> bool:
    """The text ends inside a Markdown table, on a row with fewer cells than that table's header."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    rows: list[str] = []
    for line in reversed(lines):  # the table the text ends in
        if not line.startswith("|"):
            break
        rows.insert(0, line)
    if len(rows) < 3 or len(rows) != len(lines) and not lines[-1].startswith("|"):
        return False
    cells = [row.strip("|").count("|") + 1 for row in rows]
    return cells[-1] < cells[0]


def cut_short(said: str, asks: Asks, given: str = "") -> str | None:
    """How the output shows it was cut: a bare list marker or a stub item at the end, fewer items
    than it announced, or prose that stops without ending its sentence (unless it ends the way
    its input does: a sign or a title edited stays unpunctuated)."""
    text = said.rstrip()
    if not text or text.count("```") % 2:
        return None
    if text[-1] in _OPERATORS and len(text) > 3 and (asks.code or not text.endswith(("->", "=>", ":-)"))):
        return f"stops on an operator: {text[-12:]!r}"  # "//" alone is an answer (floor division)
    if asks.code and (_unclosed(text) or text.endswith(("=>", "->"))):
        return f"leaves a bracket open: {text[-16:]!r}"
    if _TABLE_ROW.search(text) and _short_last_row(text):
        return f"ends on a part of a table row: {text.splitlines()[-1][:24]!r}"
    if text[-1] in ",，、" and not asks.code and not _SALUTATION.match(text):
        return f"stops on a comma: {text[-12:]!r}"
    if asks.code and _SQL_END.search(text) and "select" in text.lower():
        return f"stops on a keyword: {text[-16:]!r}"
    if search_tail(_WORD_OPERATOR_END, text, len("multiplied by")) and (asks.number or has_number(text)):
        return f"stops on an operation: {text[-12:]!r}"
    if text[-1] not in _PROSE_END and dangling_end(text) and not asks.code and len(text.split()) >= 3:
        return f"stops on a dangling word: {text[-16:]!r}"
    if _BARE_MARKER_END.search(text):
        return f"ends on a bare list marker: {text[-20:]!r}"
    entries = [item.split() for item in _ITEM.findall(text)]
    if len(entries) >= 3 and len(entries[-1]) == 1 and text[-1] not in _PROSE_END:
        others = sorted(len(item) for item in entries[:-1])
        if others[len(others) // 2] >= 4:
            return f"ends on a stub list item: {text[-20:]!r}"
    announced = _ANNOUNCED.search(text)
    if announced:
        wanted = announced.group(1) or announced.group(2)
        count = int(wanted) if wanted.isdigit() else _WORDS_EN.get(wanted.lower(), 0)
        items = len(BULLET.findall(text[announced.end() :]))
        if 0 < items < count or (items == 0 and text.endswith((":", "："))):
            return f"announces {count} items, gives {items}"
    if asks.count and text[-1] not in _PROSE_END:
        listed = len(BULLET.findall(text)) or (
            len(re.split(r"[,，、;；]", text)) if re.search(r"[,，、]", text) else 0
        )
        if 1 < listed < asks.count:
            return f"asked for {asks.count} items, stops after {listed}"
    lines = [line for line in text.splitlines() if line.strip()]
    last = lines[-1].strip()
    if given and given.split()[-2:] == text.split()[-2:]:
        return None
    if (
        last[-1] in _PROSE_END
        or not _prose_line(last)
        or (asks.short_form or asks.markup)
        and len(lines) == 1
    ):
        return None
    if _ZH_DANGLING.search(last) or last[-1] in "，、,;；":
        return f"stops mid-phrase: {last[-8:]!r}"
    parts = re.split(r"[,，、;；]", last)
    if len(parts) >= 3 and max(len(part.strip()) for part in parts) <= 12:
        return None  # an enumeration of short items: "挂面450克，鸡蛋3个，青菜300克"
    last = re.split(r"(?<=[.!?。！？])\s*", last)[-1] or last  # the sentence it ends on
    unpunctuated = sum(line.rstrip()[-1] not in _PROSE_END for line in lines)
    if len(lines) > 2 and unpunctuated >= 0.6 * len(lines):
        return None  # verse or a list of terms
    if cjk_ratio(last) > 0.5:
        return f"stops mid-sentence: {last[-8:]!r}" if len(last) >= 12 else None
    if len(last.split()) >= 5 and last[:1].isupper() or len(lines) > 1 and len(last.split()) >= 4:
        return f"stops mid-sentence: {last[-24:]!r}"
    return None


_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
_KANA = re.compile(r"[\u3040-\u30ff]")


def _untranslated(target: str, instruction: str, given: str, said: str, asks_source: str) -> bool:
    """The output is the source text again, or plainly not in the language asked for."""
    source = given or instruction.partition(":")[2] or instruction.partition("：")[2] or asks_source
    said_tokens, source_tokens = tokens(said), tokens(source)
    said_text, source_text = " ".join(said_tokens), " ".join(source_tokens)
    if said_text and (said_text == source_text or len(said_tokens) >= 3 and said_text in source_text):
        return True  # the source again, whole or in part
    if (
        source_tokens
        and may_reach(source_tokens, said_tokens, 1, 2)
        and rouge_l_f1(source_tokens, said_tokens) >= 0.5
    ):
        return True  # two languages share names and numbers, not half their words
    if target == "ko":
        return _HANGUL.search(said) is None
    if target == "ja":
        return _KANA.search(said) is None and cjk_ratio(said) < 0.5
    chinese = cjk_ratio(said) > 0.5
    if target == "zh":
        return not chinese and len(said_tokens) >= 3
    return chinese


def _gives_number(instruction: str, given: str, said: str) -> bool:
    """A number the task did not already say ("第二次世界大战…" holds a 二 of its own); a
    calculation on given digits answers in digits."""
    for window in _NUMERAL_WINDOW.findall(instruction):
        if len(window) >= 2 and not window.isascii():  # "一刻钟" names no answer
            said = said.replace(window, " ")
    if any(char.isdigit() for char in instruction + given):
        return any(char.isdigit() for char in said)
    return has_number(said)


def unrelated(asks: Asks, given: str, said: str) -> dict[str, object] | None:
    """A task worked on the input (rewrite, summarise, extract, answer from it) whose output
    shares not one content word with that input."""
    words = content_words(given)
    if not asks.over_input or len(words) < 4 or len(said.split()) < 3 and cjk_ratio(said) < 0.5:
        return None
    shares_a_character = cjk_ratio(given) > 0.5 and any(c in said for c in given if c.isalnum())
    if words & content_words(said) or shares_a_character:
        return None
    return {"asked": "work on the input", "found": "an output sharing no word with it"}


_NONE_OR_ALL = screened(
    r"\b(?:neither|both|none|all|same|equal|equally|depends|trick)\b|都|一样|相同|均|皆|没有|取决", re.I
)


def _names_a_choice(choices: tuple[str, ...], said: str) -> bool:
    """Whether the answer names an option (an English one in the singular or plural), or says
    none or all of them are."""
    lowered = said.lower()
    if _NONE_OR_ALL.search(said) is not None or any(choice in lowered for choice in choices):
        return True
    # "baked potatoes" named as "a baked potato": a word of an option, without its plural ending
    stems = {
        word[: max(4, len(word) - 2)] for choice in choices if choice.isascii() for word in choice.split()
    }
    return any(len(stem) >= 4 and stem in lowered for stem in stems)


def wrong_type(asks: Asks, instruction: str, given: str, said: str) -> dict[str, object] | None:
    """What the task asks for that the output is not."""
    words = said.split()
    chinese = cjk_ratio(said) > 0.5
    short = len(said.strip(" 。.！!")) <= 4 if chinese else len(words) <= 2 and len(said) <= 24
    if asks.code and not looks_like_code(said):
        return {"asked": "code", "found": "no code"}
    if asks.translation_to and _untranslated(asks.translation_to, instruction, given, said, asks.source):
        return {"asked": f"a translation into {asks.translation_to}", "found": said[:40]}
    if asks.label and not asks.code:
        options = asks.options
        head = " ".join(words[:12]) if cjk_ratio(said) < 0.5 else said[:24]
        lowered = head.lower()
        named = any(option in lowered for option in options) if options else bool(_LABELS.search(head))
        long = len(words) > (8 if options else 20) or (
            cjk_ratio(said) > 0.5 and len(said) > (24 if options else 60)
        )
        if options:
            named = any(option in said.lower() for option in options)
        chinese_without_options = cjk_ratio(said) > 0.5 and options and len(said) >= 8
        if (long or chinese_without_options) and not named:
            return {"asked": "a label", "found": "prose without one", "labels": list(options)}
    opening = said.strip().lstrip("“\"'「").removeprefix("不").removeprefix("没").lower()
    if asks.yes_no and asks.options and not any(opening.startswith(option) for option in asks.options):
        return {"asked": " or ".join(asks.options), "found": said[:40]}
    named_option = asks.options and any(option in said.lower() for option in asks.options)
    if asks.yes_no and len(words) <= 30 and not _YES_NO_ANSWER.search(said) and not named_option:
        return {"asked": "yes or no", "found": said[:40]}
    if asks.choices and not _names_a_choice(asks.choices, said):
        return {"asked": "one of " + ", ".join(asks.choices), "found": said[:40]}
    if asks.number and not _gives_number(instruction, given, said):
        return {"asked": "a number", "found": said[:40]}
    if asks.only_short and (len(words) > 12 or chinese and len(said) > 24):
        return {"asked": "a name, word or number only", "found": said[:40]}
    label_like = _LABELS.fullmatch(said.strip(" .。")) or len(words) <= 1 and not chinese
    if (asks.prose or asks.long_form) and short and (label_like or asks.long_form):
        return {"asked": "a piece of writing", "found": said.strip()}
    language = other_language(asks, instruction, said)
    if language:
        return {"asked": f"an answer in {language}", "found": said[:40]}
    return another_kind(asks, given, said, chinese)
