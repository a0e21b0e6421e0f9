"""Learn new BPE merges for Chinese text on top of a base byte-level BPE tokenizer.

A BPE trainer started from raw bytes learns merges in its own order; appended after the base's
merges, many of them never fire, because the base has already merged those bytes differently
(the trainer's 'Ń'+'¦' cannot apply once the base made 'åŃ' of the same bytes). So the trainer
(the `tokenizers` library's BpeTrainer) learns on the base's own segmentation instead: every
pre-token is split by the base model into base tokens, each base token becomes one private-use
character, and the trainer merges those characters. Each learned merge then joins two tokens
the extended tokenizer really produces at that point, and since no base merge involves a new
token, appending the merges after the base's ones reproduces the training segmentation."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pipeline.text import has_han

# Supplementary Private Use Area A: 65,534 code points, none of them in any byte-level alphabet
_PUA = 0xF0000
_PUA_SIZE = 0xFFFFD - _PUA + 1
# a learned token spans at most this many base tokens: long boilerplate phrases stay out
MAX_PIECES = 12


@dataclass
class LearnedMerges:
    """Merges in learned order, as (left, right) token strings of the base's byte-level alphabet.
    `new_tokens`: the results not in the base vocabulary, in order (each gets a new id)."""

    merges: list[tuple[str, str]] = field(default_factory=list)
    new_tokens: list[str] = field(default_factory=list)
    available: int = 0  # new tokens the corpus supports at the minimum frequency
    han_pieces: int = 0  # Han-containing pre-tokens seen (with repeats)


def han_pieces(texts: Iterable[str], backend: Any) -> Counter[str]:
    """Byte-level pre-tokens (with counts) of the texts' Han-containing stretches, as the base
    tokenizer's normalizer and pre-tokenizer cut them."""
    counts: Counter[str] = Counter()
    normalizer, pre_tokenizer = backend.normalizer, backend.pre_tokenizer
    for text in texts:
        if not has_han(text):
            continue
        normalized = normalizer.normalize_str(text) if normalizer is not None else text
        pieces = pre_tokenizer.pre_tokenize_str(normalized) if pre_tokenizer is not None else [(text, (0, 0))]
        for piece, (start, end) in pieces:
            if has_han(normalized[start:end]):
                counts[piece] += 1
    return counts


def _mapped_words(pieces: Counter[str], backend: Any) -> dict[str, int]:
    """Each piece the base splits into two or more tokens, written one private-use character
    per base token (one-token pieces have nothing to merge), with its count."""
    mapped: dict[str, int] = {}
    for piece, count in pieces.items():
        ids = [token.id for token in backend.model.tokenize(piece)]
        if len(ids) < 2:
            continue
        if max(ids) >= _PUA_SIZE:
            raise ValueError(f"token id {max(ids)} is beyond the private-use mapping")
        word = "".join(chr(_PUA + token_id) for token_id in ids)
        mapped[word] = mapped.get(word, 0) + count
    return mapped


def _lines(words: dict[str, int]) -> Iterator[str]:
    """The words, each repeated by its count, in lines of at most 256 (the trainer counts words:
    how they are cut into lines does not matter; memory stays at one line)."""
    for word, count in words.items():
        for start in range(0, count, 256):
            yield (word + " ") * min(256, count - start)


def _train(words: dict[str, int], alphabet: list[str], budget: int, min_frequency: int) -> list[Any]:
    """The trainer's merges in learned order, at most `budget` of them."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    trainer = trainers.BpeTrainer(
        vocab_size=len(alphabet) + budget,
        min_frequency=max(min_frequency, 1),
        show_progress=False,
        initial_alphabet=alphabet,
        max_token_length=MAX_PIECES,
    )
    model = Tokenizer(models.BPE())
    model.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    model.train_from_iterator(_lines(words), trainer=trainer)
    merges: list[Any] = json.loads(model.to_str())["model"]["merges"]
    return merges


def learn_merges(texts: Iterable[str], backend: Any, add: int, min_frequency: int) -> LearnedMerges:
    """Up to `add` new tokens learned from the texts' Chinese pre-tokens (`backend`: the base's
    `tokenizers.Tokenizer`); fewer when the corpus supports fewer at `min_frequency`."""
    pieces = han_pieces(texts, backend)
    words = _mapped_words(pieces, backend)
    alphabet = {ord(char) - _PUA: char for word in words for char in word}
    if not words:
        return LearnedMerges(han_pieces=sum(pieces.values()))
    id_to_token = {token_id: backend.id_to_token(token_id) for token_id in alphabet}

    def unmap(text: str) -> str:
        return "".join(id_to_token[ord(char) - _PUA] for char in text)

    # some merges land on a string the base vocabulary already holds: room beyond `add`, more
    # when that was not enough and the trainer stopped on the budget, not on the frequency
    budget = add + add // 4 + 64
    while True:
        trained = _train(words, list(alphabet.values()), budget, min_frequency)
        learned = LearnedMerges(han_pieces=sum(pieces.values()))
        known = set(backend.get_vocab(with_added_tokens=True))
        seen: set[tuple[str, str]] = set()
        for left, right in (_pair(item) for item in trained):
            pair = (unmap(left), unmap(right))
            if pair in seen:
                continue  # two base splits of the same text: one merge serves both
            seen.add(pair)
            result = pair[0] + pair[1]
            is_new = result not in known
            learned.available += is_new
            if len(learned.new_tokens) >= add:
                continue  # counted as available, not taken
            if is_new:
                learned.new_tokens.append(result)
                known.add(result)
            learned.merges.append(pair)
        if learned.available >= add or len(trained) < budget:
            return learned
        budget *= 2


def _pair(item: Any) -> tuple[str, str]:
    """A merge as tokenizer.json stores it: ["a", "b"] (current) or "a b" (older files)."""
    if isinstance(item, str):
        left, _, right = item.partition(" ")
        return left, right
    return str(item[0]), str(item[1])
