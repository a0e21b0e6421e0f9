"""The words a regular expression needs, read from its parse tree (literal runs, alternatives,
repeats of at least one), so that editing a pattern cannot leave a stale word list behind:
`needles` gives a set one of which every match contains; `requirements` gives every such set,
for each top-level alternative. `pattern_screen` rules patterns out with them."""

from __future__ import annotations

import re
from re import _constants as sre  # type: ignore[attr-defined]  # the standard library's own
from re import _parser  # type: ignore[attr-defined]  # regex parser, private but there since 3.11
from typing import Any

Needles = frozenset[str]


def _literal(code: int, folded: bool) -> str | None:
    """A pattern's literal character as a screen looks for it; None where a screen cannot: a
    case-insensitive letter with case outside ASCII ("ſ" matches "s")."""
    char = chr(code)
    if not folded:
        return char
    if char.isascii():
        return char.lower()
    return char if char.lower() == char.upper() else None


def _rarity(needle: str) -> int:
    """How rare a needle likely is in the ASCII text screens read: never there when it is not
    ASCII itself; else its longest word (" is to " is as common as "is"), or twice its
    punctuation ("<", "{" are rarer than a letter; " " is everywhere)."""
    if not needle.isascii():
        return 100
    symbols = sum(not char.isalnum() and not char.isspace() for char in needle)
    return max(max(map(len, re.split(r"\W+", needle))), 2 * symbols)


def _best(options: list[Needles]) -> Needles | None:
    """Of several requirements that all hold, the one a text is least likely to meet: the
    rarest commonest needle, then the fewest needles."""
    if not options:
        return None
    return max(options, key=lambda needles: (min(map(_rarity, needles)), -len(needles)))


_MOST = 64  # needles one screen may hold
_MOST_REQUIRED = 4  # requirements one alternative's screen tests
_MOST_BRANCHES = 4  # alternatives screened one by one; a longer alternation: the union of their words


def _characters(op: Any, value: Any, folded: bool) -> set[str] | None:
    """The characters one item matches, when it is a literal or a class naming a few."""
    if op is sre.LITERAL:
        char = _literal(value, folded)
        return {char} if char is not None else None
    if op is sre.IN and all(kind is sre.LITERAL for kind, _ in value):
        chars = {_literal(code, folded) for _, code in value}
        return None if None in chars else chars  # type: ignore[return-value]
    return None


def _repeated(op: Any, value: Any, folded: bool) -> set[str] | None:
    """The characters of a repeat (at least once) of one literal or small class."""
    if (
        op not in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)
        or value[0] < 1
        or len(value[2]) != 1
    ):
        return None
    body_op, body_value = value[2][0]
    return _characters(body_op, body_value, folded)


def _sequence(items: list[tuple[Any, Any]], folded: bool) -> Needles | None:
    """The rarest of the requirements `_requirements` finds."""
    return _best(_requirements(items, folded))


def _requirements(items: list[tuple[Any, Any]], folded: bool) -> list[Needles]:
    """Items in a row: each contiguous stretch of literals and small classes ("[.,;:][,;]")
    is a requirement (one of its spellings), and so is each item's own; a group's own
    requirements all count."""
    options: list[Needles] = []
    spellings = {""}  # of the current stretch
    for op, value in items:
        chars = _characters(op, value, folded)
        if chars is not None and len(spellings) * len(chars) <= _MOST:
            spellings = {spelling + char for spelling in spellings for char in chars}
            continue
        repeated = _repeated(op, value, folded)
        if repeated and len(spellings) * len(repeated) <= _MOST:  # " +[.,]": " ." or " ,"
            options.append(frozenset(spelling + char for spelling in spellings for char in repeated))
            spellings = set(repeated)  # the stretch ends at the first repetition, goes on after the last
            continue
        if spellings != {""}:
            options.append(frozenset(spellings))
            spellings = {""}
        if op is sre.SUBPATTERN and not (value[1] | value[2]) & re.IGNORECASE:
            options.extend(_requirements(list(value[3]), folded))
            continue
        found = _item(op, value, folded)
        if found:
            options.append(found)
    if spellings != {""}:
        options.append(frozenset(spellings))
    return options


def _item(op: Any, value: Any, folded: bool) -> Needles | None:
    if op is sre.SUBPATTERN:
        _group, add_flags, del_flags, body = value
        if (add_flags | del_flags) & re.IGNORECASE:
            return None  # a scoped case flag: not worth reading
        return _sequence(list(body), folded)
    if op is sre.BRANCH:
        union: set[str] = set()
        for alternative in value[1]:
            found = _sequence(list(alternative), folded)
            if not found:
                return None  # this alternative needs no word
            union |= found
        return frozenset(union)
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
        least, _most, body = value
        return _sequence(list(body), folded) if least >= 1 else None
    if op is sre.ATOMIC_GROUP:
        return _sequence(list(value), folded)
    chars = _characters(op, value, folded)
    return frozenset(chars) if chars else None  # a class too large to spell out: no word
    # (a range, a category, a position, a lookaround, a back reference: no word either)


def needles(pattern: re.Pattern[str]) -> Needles | None:
    """Words (lower case where the pattern ignores case) one of which every match of `pattern`
    contains, or None when the pattern needs no particular word."""
    folded = bool(pattern.flags & re.IGNORECASE)
    return _sequence(list(_parser.parse(pattern.pattern, pattern.flags)), folded)


def requirements(pattern: re.Pattern[str]) -> list[list[Needles]]:
    """For each top-level alternative of `pattern`, every set of words it needs one of (each as
    `needles`), the likely rarest first; an empty list where some alternative needs no word. A
    long alternation counts as one alternative (testing each would cost more than it saves).
    `^(?:name|who is) the \\w+est|最` gives [[{"name", "who is"}, {" the "}], [{"最"}]]."""
    folded = bool(pattern.flags & re.IGNORECASE)
    items = list(_parser.parse(pattern.pattern, pattern.flags))
    while len(items) == 1 and items[0][0] is sre.SUBPATTERN and not (items[0][1][1] | items[0][1][2]):
        items = list(items[0][1][3])  # a pattern that is one group: its alternatives
    branches = [items]
    if len(items) == 1 and items[0][0] is sre.BRANCH and len(items[0][1][1]) <= _MOST_BRANCHES:
        branches = [list(branch) for branch in items[0][1][1]]
    found = []
    for branch in branches:
        required = list(dict.fromkeys(_requirements(branch, folded)))
        if not required:
            return []
        required.sort(key=lambda needles: (-min(map(_rarity, needles)), len(needles)))
        # past the rarest, only requirements of rare words: a common one (" ", "a", "is") would
        # be found in nearly every text, at the price of a report for every occurrence
        found.append(required[:1] + [n for n in required[1:_MOST_REQUIRED] if min(map(_rarity, n)) >= 3])
    return found


def shortest(needles: Needles) -> tuple[str, ...]:
    """A needle that holds another is found only where that one is: the shorter suffices."""
    return tuple(sorted(n for n in needles if not any(o != n and o in n for o in needles)))
