"""One list dealt out over the instruction, the input and the output: "1. Create a table…" /
"2. Create a table…", "Tip 1: …" / "Tip 2: …", "其一，…" / "其二，…", a lone bullet and then the
rest of its list. A small model that loses track of the JSON it writes does this."""

from __future__ import annotations

import re

from pipeline.curate.structure.fragments import TERMINAL

_ZH_NUMBERS = "一二三四五六七八九十"
_STEMS = "甲乙丙丁戊己庚辛"
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9, "x": 10}
_WORD_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10,
}  # fmt: skip
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "首先": 1, "其次": 2, "再次": 3}
_LABELS = (
    "step|tip|day|phase|clause|part|rule|stage|round|week|chapter|section|item|point|lesson|level"
    "|exercise|question|problem|q|问题|练习|习题|例题|步骤|规则|要点"
)
_ZH_CLASSIFIERS = "天|条|步|部分|点|节|章|课|周|期|轮|关|回|名|项|站|题|幕|场|局"
_ROMAN_WORDS = "viii|vii|iii|ii|iv|vi|ix|i|v|x"
# where an item opens a line: "1." "2)" "3:" "(4)" "（五）" "第二，" "其三，" "三、" "C、" "iv." "Tip 2:"
# "#3" "③" "Ⅲ." "Second,"; each kind in a named group that says how to read its number
_MARKER = re.compile(
    rf"(?:^|\n)[ \t]*(?:(?:(?:step|part)\s*)?(?P<digits>\d{{1,2}})\s*"
    rf"(?:[.)]\s|[.)](?=[^\d\s])|[、）]|[:：](?!\d))"
    rf"|[(（](?P<parens>[{_ZH_NUMBERS}]|[a-h]|\d{{1,2}}|{_ROMAN_WORDS})[)）]"
    rf"|(?:第|其)(?P<ordinal>[{_ZH_NUMBERS}]+)[，,、：:]"
    rf"|第(?P<ordinal_counted>[{_ZH_NUMBERS}]+)(?:{_ZH_CLASSIFIERS})[，,、：:\s]"
    rf"|(?P<listed>[{_ZH_NUMBERS}{_STEMS}])(?:、|是)|(?P<letter_zh>[a-h])、"
    rf"|(?P<letter>{_ROMAN_WORDS}|[a-h])(?:[.)]\s|[.．)](?=[^\x00-\x7f]))"
    rf"|(?P<suffixed>\d{{1,2}})(?:st|nd|rd|th)\s*[:.)\-–]"
    rf"|【(?P<bracketed>[{_ZH_NUMBERS}]+|\d{{1,2}})】|(?P<lai>[一二三四])来(?=[，,\u4e00-\u9fff])"
    rf"|(?P<word>first|second|third|fourth|fifth|next|then|finally|首先|其次|再次)[,，:：]"
    rf"|(?:{_LABELS})\s*#?\s*(?P<labelled>\d{{1,2}}|{'|'.join(_WORD_NUMBERS)}|[a-h]|{_ROMAN_WORDS})\s*(?:[:：)\-–—]|\.(?!\d))"
    rf"|\#(?P<hashed>\d{{1,2}})\s|(?P<circled>[①-⑩⑴-⒇❶-❿➀-➉])|(?P<unicode_roman>[Ⅰ-Ⅹ])\s*[.、)．]?)"
    rf"\s*(?=\S|$)",
    re.IGNORECASE,
)
# one bulleted item alone in a field: "• Preheat the oven" (its marker, for the next field)
_LONE_BULLET = re.compile(r"^\s*([-*•·])\s+[^\n]+$")
# items further on in a line ("A) Helium B) Neon"): where a list that goes on left off
_INLINE = re.compile(r"(?:^|\s)(\d{1,2}|[A-Ha-h])[.)]\s+\S")
_BARE_END = re.compile(
    rf"\n[ \t]*(?:[-*•]|\d{{1,2}}[.)、]|[{_ZH_NUMBERS}]是)\s*$"
    rf"|[。；;]\s*(?:第|其)[{_ZH_NUMBERS}]+[，,、：:]\s*$"
)
_INLINE_FIRST = re.compile(r"(?:^|[\s:：])(?:1|一)\s*[.)、]\s*\S|第一[，,、]")


def _position(text: str) -> int:
    """1 for "1", "a", "一", "甲", "i" (a roman one where it cannot be a letter); 10 for "十"."""
    lowered = text.lower()
    if text.isdigit():
        return int(text)
    if text in _STEMS:
        return _STEMS.index(text) + 1
    if text in _ZH_NUMBERS:
        return _ZH_NUMBERS.index(text) + 1
    if lowered in _WORD_NUMBERS:
        return _WORD_NUMBERS[lowered]
    if lowered in _ROMAN and (len(lowered) > 1 or lowered not in "abcdefgh"):
        return _ROMAN[lowered]
    return ord(lowered[0]) - ord("a") + 1


# markers that open ordinary prose too ("Day 3: we hiked…", "Chapter 2: …", "#2 pencil", "第三天，"):
# they count only as the next item of a list the field before ended on
WEAK_KINDS = frozenset(
    {"labelled", "hashed", "circled", "unicode_roman", "letter_zh", "ordinal_counted", "bracketed", "lai"}
)


def _zh_number(text: str) -> int:
    """一 → 1, 十 → 10, 十二 → 12, 二十 → 20, 二十三 → 23."""
    tens, _, units = text.partition("十")
    if "十" not in text:
        return _ZH_NUMBERS.index(text[0]) + 1
    value = (_ZH_NUMBERS.index(tens[0]) + 1 if tens else 1) * 10
    return value + (_ZH_NUMBERS.index(units[0]) + 1 if units else 0)


def _kind(match: re.Match[str]) -> str:
    return next(k for k, v in match.groupdict().items() if v)


def _number(match: re.Match[str]) -> int:
    kind, text = next((k, v) for k, v in match.groupdict().items() if v)
    if kind in ("ordinal", "ordinal_counted"):
        return _zh_number(text)
    if kind == "letter":
        return _ROMAN.get(text.lower()) or _position(text)
    if kind == "word":
        return _ORDINALS.get(text.lower(), 2)  # "next", "then", "finally" carry on a list
    if kind == "circled":
        return next(ord(text) - ord(first) + 1 for first in "➀❶⑴①" if ord(text) >= ord(first))
    if kind == "bracketed" and not text.isdigit():
        return _zh_number(text)
    if kind == "lai":
        return _ZH_NUMBERS.index(text) + 1
    if kind == "unicode_roman":
        return ord(text) - ord("Ⅰ") + 1
    return _position(text)


def markers(text: str) -> list[int]:
    """The numbers of the numbered items `text` holds, in order."""
    if "\n" not in text:  # an item opens the text or a line: here only the text
        found = _MARKER.match(text)
        return [_number(found)] if found else []
    return [_number(match) for match in _MARKER.finditer(text)]


def first_marker(text: str) -> int | None:
    match = _MARKER.match(text)
    return _number(match) if match else None


def _last_item(text: str, numbers: list[int]) -> int | None:
    inline = _INLINE.findall(text)
    if inline and (not numbers or len(inline) > len(numbers)):
        return _position(inline[-1])
    return numbers[-1] if numbers else None


def list_continuation(
    fields: list[tuple[str, str]], continues: bool = False, keeps_form: bool = False
) -> dict[str, object] | None:
    """A numbered list dealt out over consecutive fields: a field opening on item k > 1, or on
    item k + 1 right after a field that ended on item k; or a bulleted one, a field opening
    with the bullet of the lone item in the field before. `continues`: the task asks for the
    next item; `keeps_form`: its answer is the input reworked (a bullet kept is no sign)."""
    before: int | None = None
    bullet: str | None = None  # the marker of a lone bulleted item in the field before
    for index, (name, text) in enumerate(fields):
        stripped = text.lstrip()
        if bullet is not None and stripped.startswith(bullet) and not (continues or keeps_form):
            return {"field": name, "opens_with": bullet, "previous_field": "one item of the same list"}
        lone = _LONE_BULLET.match(text)
        bullet = lone.group(1) + " " if lone else None
        numbers = markers(text)
        opening = _MARKER.match(stripped)
        opens = _number(opening) if opening else None
        # "renumber from 1"; "Day 3: we hiked…" opens a diary entry, not a list
        starts_midway = (
            before is None
            and not (keeps_form and name == "input")
            and not (opening and _kind(opening) in WEAK_KINDS)
        )
        if (
            opens is not None
            and opens > 1
            and (starts_midway or before is not None and opens == before + 1 and not continues)
        ):
            return {"field": name, "opens_with_item": opens, "previous_field_ended_on": before}
        if opens is None and numbers and numbers[0] > 1 and not continues:
            return {"field": name, "list_starts_at_item": numbers[0]}  # "…prose.\n2. Sleep well"
        if name == "instruction" and _INLINE_FIRST.search(text) and not numbers[1:]:
            # "Here's how you could do it: 1. Create a new table with column named"
            tail = text.strip()
            if tail[-1:] not in TERMINAL or text.rstrip().endswith(tuple("0123456789")):
                return {"field": name, "opens_with_item": 1, "unfinished": tail[-30:]}
        if name != "output" and _BARE_END.search(text):
            return {"field": name, "ends_on": "a bare list marker"}
        if index + 1 < len(fields):  # what the next field would continue
            before = _last_item(text, numbers)
    return None
