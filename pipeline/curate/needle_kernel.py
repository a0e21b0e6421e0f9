"""The Aho-Corasick automaton behind `needle_scan`: built from the needles with numpy, run over
a text's bytes by a compiled loop (numba)."""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np

from pipeline.curate.compiled import kernel

ASCII = 128


@kernel
def _scan(text: bytes, moves: Any, outputs: Any, found: Any) -> None:  # pragma: no cover - compiled
    """ORs into `found` the output bits of every state the automaton passes through."""
    state = 0
    for at in range(len(text)):
        state = moves[state, text[at]]
        if outputs[state, 0] != 0:  # column 0: does this state end any needle at all
            for word in range(found.shape[0]):
                found[word] |= outputs[state, word + 1]


class Automaton:
    """One automaton over `needles`; needle i owns bit i of the answer."""

    def __init__(self, needles: tuple[str, ...], folded: bool):
        self._words = max(1, (len(needles) + 63) // 64)
        self._moves, self._outputs = _tables(needles, self._words, folded)
        self._always = int.from_bytes(self._outputs[0, 1:].tobytes(), "little")  # the empty needle

    def __call__(self, text: str) -> int:
        words = np.zeros(self._words, np.uint64)
        _scan(text.encode("ascii"), self._moves, self._outputs, words)
        return int.from_bytes(words.tobytes(), "little") | self._always


def _tables(needles: tuple[str, ...], words: int, folded: bool) -> tuple[np.ndarray, np.ndarray]:
    """The automaton's moves (state × byte → state, failures folded in: a full DFA) and each
    state's output bits (column 0 nonzero where any, then `words` words of bits)."""
    children: list[dict[int, int]] = [{}]
    ends: list[int] = [0]
    for index, needle in enumerate(needles):
        state = 0
        for code in needle.encode("ascii"):
            child = children[state].get(code)
            if child is None:
                child = len(children)
                children[state][code] = child
                children.append({})
                ends.append(0)
            state = child
        ends[state] |= 1 << index
    states = len(children)
    moves = np.zeros((states, ASCII), np.int32)
    failure = [0] * states
    for code, child in children[0].items():
        moves[0, code] = child
    queue = deque(children[0].values())
    while queue:  # breadth first: a state's failure is shallower, so its row is complete
        state = queue.popleft()
        moves[state] = moves[failure[state]]
        ends[state] |= ends[failure[state]]
        for code, child in children[state].items():
            failure[child] = int(moves[failure[state], code])
            moves[state, code] = child
            queue.append(child)
    if folded:  # upper-case letters move as their lower-case ones
        moves[:, ord("A") : ord("Z") + 1] = moves[:, ord("a") : ord("z") + 1]
    outputs = np.zeros((states, words + 1), np.uint64)
    for state, bits in enumerate(ends):
        if bits:
            outputs[state, 0] = 1
            outputs[state, 1:] = np.frombuffer(bits.to_bytes(8 * words, "little"), np.uint64)
    return moves, outputs
