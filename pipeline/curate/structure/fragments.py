"""Instructions that are not whole sentences, and numbered lists split across fields.

A small model that loses track of the JSON it writes starts an "instruction" in the middle of a
sentence ("and add one row to the table called"), or deals one numbered list out over the
instruction, the input and the output ("1. Create a table…" / "2. Create a table…")."""

from __future__ import annotations

import re

from pipeline.curate.structure.screen import search_tail

_IDENTIFIER = re.compile(r"^[a-z]+[A-Z0-9_.(]|^[a-z]\w*\(|^(?:e\.g\.|i\.e\.|etc\.)|^[a-z]+\.[a-z]+")
_CAPITAL_CONNECTIVE = re.compile(
    r"^(?:And|But|Or|Nor|Because|Although|Though|Whereas|Then|Also|Plus|Hence|Thus|Therefore|"
    r"Meanwhile|Otherwise|Except|Unless|Until|Whose|Whom)\b(?!\s*[,:'\"])"
)
DANGLING_END = re.compile(
    r"\b(?:and|or|but|nor|the|a|an|of|to|with|called|named|titled|as|such as|like|for|from|by|in|"
    r"on|at|into|onto|than|that|which|who|whose|is|are|was|were|be|been|its|their|your|his|her|"
    r"our|this|these|those|my|because|about|between|including|for example|for instance|e\.g|i\.e)\s*$",
    re.IGNORECASE,
)
DANGLING_LONGEST = len("for instance")  # the longest word above: a match starts no further back
_ZH_START = re.compile(
    r"^(?:和|并且|并|但是|但|而且|而是|而|或者|或是|以及|及|的(?![确士])|地(?![球铁震图方址下区理面点板道域位毯主势形])"
    r"|得(?![到分出知益奖])|因此|所以|然后|还有|并把|就是|了(?![解])|呢|吧|也是|其中|否则|那么"
    r"|比如|例如)(?![、，”」])"
)
_ZH_WORD_NAMED = re.compile(r"^[\u4e00-\u9fff]{1,2}[、，”」]")  # "但是、可是、不过这三个词…"
_ZH_DANGLING_END = re.compile(
    r"(?:的|和|以及|例如|比如|与|或|及|在|把|被|对|是|为|从|向|跟|同|给|一[段个篇首些句条份]|几[个条]"
    r"|所以|但是|而且|否则|然后|那么|如果|因为|并且|学会了|，|、|,)\s*$"
    r"|(?:并且|并|再|然后|而且|以及)[\u4e00-\u9fff]{1,2}\s*$"
)
_ZH_DANGLING_LONGEST = len("以及") + 2
_TERMINAL = ".?!:;。？！：；…)]\"'”’」』》）"

# "1." "2)" "(3)" "（3）" "4、" and Chinese "第二，" "三、"
_ZH_NUMBERS = "一二三四五六七八九十"
_STEMS = "甲乙丙丁戊己庚辛"
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9, "x": 10}
_MARKER = re.compile(
    rf"(?:^|\n)\s*(?:(?:(?:step|part)\s*)?(\d{{1,2}})\s*(?:[.)]\s|[.)](?=[^\d\s])|[、）:：])"
    rf"|[(（]([{_ZH_NUMBERS}]|[a-h]|\d{{1,2}})[)）]|第([{_ZH_NUMBERS}]+)(?:步|部分|点|条|节)?[，,、：:]"
    rf"|([{_ZH_NUMBERS}{_STEMS}])(?:、|是)|(viii|vii|iii|ii|iv|vi|ix|i|v|x|[a-h])[.)]\s"
    rf"|(first|second|third|fourth|fifth|next|then|finally|首先|其次|再次)[,，:：]"
    rf"|part\s+([a-h])\s*[:.])"
    rf"\s*(?=\S|$)",
    re.IGNORECASE,
)
# one bulleted item alone in a field: "• Preheat the oven" (its marker, for the next field)
_LONE_BULLET = re.compile(r"^\s*([-*•·])\s+[^\n]+$")
# items further on in a line ("A) Helium B) Neon"): where a list that goes on left off
_INLINE = re.compile(r"(?:^|\s)(\d{1,2}|[A-Ha-h])[.)]\s+\S")
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "首先": 1, "其次": 2, "再次": 3}
_BARE_END = re.compile(rf"\n\s*(?:[-*•]|\d{{1,2}}[.)、]|[{_ZH_NUMBERS}]是)\s*$")
_INLINE_FIRST = re.compile(r"(?:^|[\s:：])(?:1|一)\s*[.)、]\s*\S|第一[，,、]")


def dangling_end(text: str) -> bool:
    """Whether `text` ends on a word that cannot end a sentence ("…called", "…such as")."""
    return search_tail(DANGLING_END, text, DANGLING_LONGEST) is not None


def _position(text: str) -> int:
    """1 for "1", "a", "一", "甲"; 10 for "十"."""
    if text.isdigit():
        return int(text)
    if text in _STEMS:
        return _STEMS.index(text) + 1
    if text in _ZH_NUMBERS:
        return _ZH_NUMBERS.index(text) + 1
    return ord(text.lower()) - ord("a") + 1


def _number(groups: tuple[str | None, ...]) -> int:
    digits, parens, ordinal, listed, letter, word, part = groups
    if part:
        return _position(part)
    if digits:
        return int(digits)
    if parens or listed:
        return _position(parens or listed or "")
    if letter:
        return _ROMAN.get(letter.lower()) or _position(letter)
    if word:
        return _ORDINALS.get(word.lower(), 2)  # "next", "then", "finally" carry on a list
    text = ordinal or ""
    if text.startswith("十"):
        return 10 + (_ZH_NUMBERS.index(text[1]) + 1 if len(text) > 1 else 0)
    return _ZH_NUMBERS.index(text[0]) + 1 if text else 0


def markers(text: str) -> list[int]:
    """The numbers of the numbered items `text` holds, in order."""
    if "\n" not in text:  # an item opens the text or a line: here only the text
        found = _MARKER.match(text)
        return [_number(found.groups())] if found else []
    return [_number(match.groups()) for match in _MARKER.finditer(text)]


def first_marker(text: str) -> int | None:
    match = _MARKER.match(text)
    return _number(match.groups()) if match else None


def fragment(instruction: str, has_input: bool, chinese: bool) -> str | None:
    """Why `instruction` reads as a piece of a sentence, or None."""
    text = instruction.strip()
    if not text:
        return None
    if chinese:
        if _ZH_START.match(text) and not _ZH_WORD_NAMED.match(text):
            return f"starts mid-sentence: {text[:6]}"
        if search_tail(_ZH_DANGLING_END, text, _ZH_DANGLING_LONGEST) or (
            text.endswith(("：", ":")) and not has_input
        ):
            return f"ends mid-sentence: {text[-6:]}"
        return None
    if text[0].islower() and not _IDENTIFIER.match(text):
        return f"starts mid-sentence: {' '.join(text.split()[:3])}"
    if _CAPITAL_CONNECTIVE.match(text):
        return f"starts with a connective: {text.split()[0]}"
    if text[-1] not in _TERMINAL and dangling_end(text):
        return f"ends on a dangling word: {' '.join(text.split()[-3:])}"
    if not has_input and re.search(
        r"\b(?:example|for example|e\.g\.|such as|as follows)\s*:\s*$", text, re.I
    ):
        return f"promises what never comes: {' '.join(text.split()[-2:])}"
    return None


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
        opens = first_marker(text.lstrip())
        if opens is not None and opens > 1 and (before is None or opens == before + 1 and not continues):
            return {"field": name, "opens_with_item": opens, "previous_field_ended_on": before}
        if opens is None and numbers and numbers[0] > 1 and not continues:
            return {"field": name, "list_starts_at_item": numbers[0]}  # "…prose.\n2. Sleep well"
        if name == "instruction" and _INLINE_FIRST.search(text) and not numbers[1:]:
            # "Here's how you could do it: 1. Create a new table with column named"
            tail = text.strip()
            if tail[-1:] not in _TERMINAL or text.rstrip().endswith(tuple("0123456789")):
                return {"field": name, "opens_with_item": 1, "unfinished": tail[-30:]}
        if name != "output" and _BARE_END.search(text):
            return {"field": name, "ends_on": "a bare list marker"}
        if index + 1 < len(fields):  # what the next field would continue
            before = _last_item(text, numbers)
    return None
