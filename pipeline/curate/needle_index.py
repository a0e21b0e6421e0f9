"""Every screen's words found in a text in one pass: each screen registers the ASCII words
(needles) one of which its pattern needs, and a text is read once by an Aho-Corasick automaton
(pyahocorasick, compiled C) for the case-sensitive needles and once, lower-cased, for the
case-insensitive ones. A screen then asks whether any of its needles were found: a set
test, instead of a substring search per needle (a record asks about 55 screens, most of them
about the same three fields).

Screens may register late (a long alternation compiles its alternatives on first use): each
registration forgets the texts read so far, so a text read before it is read again with the
new needles."""

from __future__ import annotations

import threading
from operator import itemgetter

import ahocorasick

_ids: dict[tuple[str, bool], int] = {}  # (needle, case-insensitive) -> id
_automata: list[ahocorasick.Automaton | None] = []  # case-sensitive, folded; [] until built
FOUND: dict[str, frozenset[int]] = {}  # the last texts read, oldest first: `found`'s answers
_version = 0  # registrations so far
_id = itemgetter(1)  # of a match (end, needle id)
_KEPT = 64  # a record's fields, asked about by every screen in turn
_lock = threading.Lock()


def register(needles: tuple[str, ...], folded: bool) -> frozenset[int]:
    """Ids for `needles` (ASCII; lower case where `folded`), registered if new."""
    global _version
    with _lock:
        known = len(_ids)
        ids = frozenset(_ids.setdefault((needle, folded), len(_ids)) for needle in needles)
        if len(_ids) != known:  # texts read so far were not searched for these
            _version += 1
            _automata.clear()
            FOUND.clear()
    return ids


def _automaton(folded: bool) -> ahocorasick.Automaton | None:
    automaton = ahocorasick.Automaton()
    for (needle, is_folded), needle_id in _ids.items():
        if is_folded == folded:
            automaton.add_word(needle, needle_id)
    if not len(automaton):
        return None  # an automaton with no words cannot be searched
    automaton.make_automaton()
    return automaton


def found(text: str) -> frozenset[int]:
    """Ids of the registered needles that occur in ASCII `text` (case-insensitive ones in its
    lower case). Callers in a hurry look in `FOUND` first."""
    answer = FOUND.get(text)
    if answer is not None:
        return answer
    with _lock:
        if not _automata:
            _automata.extend((_automaton(False), _automaton(True)))
        exact, folded = _automata
        version = _version
    ids: set[int] = set()
    if exact is not None:
        ids.update(map(_id, exact.iter(text)))
    if folded is not None:
        ids.update(map(_id, folded.iter(text.lower())))
    answer = frozenset(ids)
    with _lock:
        if version == _version:  # no registration since: still the whole answer
            if len(FOUND) >= _KEPT:
                del FOUND[next(iter(FOUND))]
            FOUND[text] = answer
    return answer
