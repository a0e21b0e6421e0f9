"""Which of many short ASCII strings ("needles") occur in a text, found for all of them in one
pass over the text instead of one substring test per needle.

The screens of the curation checks ask this about fifty times a record: each screen holds a
few of some 400 needles, and tested them one by one (about 50 ns a test) on the three or so
fields of a record. An Aho-Corasick automaton over every needle reads a field once (a compiled
loop, `needle_kernel`, about 2 µs) and answers each screen with an AND of two bit masks.

Loading the compiled loop costs a process about 0.8 s (numba), what some 20,000 records save;
so a set answers nothing for its first `compiled_after` questions — the screens test their own
needles meanwhile — and a small run never pays for the compiler.

Needles can be added at any time (patterns compiled on first use register theirs then); the
next question then rebuilds the automaton."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeline.curate.needle_kernel import Automaton

_REMEMBERED = 1024  # texts whose answer is kept: a record's fields are asked about many times
COMPILED_AFTER = 1_000_000  # questions before the automaton is built (~20,000 records)


class NeedleSet:
    """Needles, each with a bit. `folded`: the needles are lower case and a text's letters
    are compared case-insensitively (ASCII letters only, as the screens fold them)."""

    def __init__(self, folded: bool, compiled_after: int = COMPILED_AFTER):
        self.folded = folded
        self._bits: dict[str, int] = {}
        self._automaton: Automaton | None = None
        self._seen: dict[str, int] = {}  # answers for the current needles
        self._until_compiled = compiled_after

    def mask(self, *needles: str) -> int:
        """The bits of `needles` (ASCII), added to the set where new."""
        mask = 0
        for needle in needles:
            if not needle.isascii():
                raise ValueError(f"a needle must be ASCII: {needle!r}")
            if needle not in self._bits:
                self._bits[needle] = 1 << len(self._bits)
                self._automaton, self._seen = None, {}  # the next question rebuilds it
            mask |= self._bits[needle]
        return mask

    def compile_after(self, questions: int) -> None:
        """Answer from the automaton after `questions` more questions (0: from the next)."""
        self._until_compiled = questions

    def present(self, text: str) -> int | None:
        """The bits of the needles that occur in `text`, which must be ASCII; None while the
        set is not compiled yet."""
        found = self._seen.get(text)
        if found is not None:
            return found
        if self._until_compiled > 0:
            self._until_compiled -= 1
            return None
        return self._scan(text)

    def _scan(self, text: str) -> int:
        seen, automaton = self._seen, self._automaton  # in this order: an answer never outlives its needles
        if automaton is None:
            from pipeline.curate.needle_kernel import Automaton  # numpy and numba, once it pays

            automaton = self._automaton = Automaton(tuple(self._bits), self.folded)
        found = automaton(text)
        if len(seen) >= _REMEMBERED:
            seen.clear()
        seen[text] = found
        return found
