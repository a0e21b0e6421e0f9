"""Held-out decontamination: no evaluation item may be a near-duplicate of a training item.

The rule is curation's own (exact match after normalisation, then ROUGE-L F1 above the novelty
threshold over CJK-aware tokens), run through the same inverted index, so "near-duplicate"
means the same thing at build time and at evaluation time. Curation already keeps every pair
of records below the threshold; this check makes that guarantee explicit and also covers eval
sets that users bring and held-out splits whose training side changed. In a version's split a
held-out record near a training record moves to training (`settle_heldout`); an evaluation
set's is left out of the evaluation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from pipeline.curate.config import CurateConfig
from pipeline.curate.dedup import ExactIndex, exact_key
from pipeline.curate.novelty import NoveltyIndex
from pipeline.curate.views import compared_text  # evaluate/run.py imports it from here too
from pipeline.records import Record
from pipeline.text import tokenize


@dataclass(frozen=True)
class Contamination:
    item_id: str
    partner_id: str
    rule: str  # "exact" or "rouge_l"
    score: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class TrainingIndex:
    """Training texts indexed once; evaluation texts are looked up against it."""

    def __init__(self, threshold: float):
        self.exact = ExactIndex()
        self.novelty = NoveltyIndex(threshold)

    def add(self, item_id: str, text: str) -> None:
        self.exact.add(exact_key(text), item_id)
        self.novelty.add(item_id, tokenize(text))

    def match(self, item_id: str, text: str) -> Contamination | None:
        partner = self.exact.first_with(exact_key(text))
        if partner is not None:
            return Contamination(item_id, partner, "exact", 1.0)
        near = self.novelty.find_near(tokenize(text))
        if near is not None:
            return Contamination(item_id, near.partner_id, "rouge_l", round(near.score, 4))
        return None


def find_contamination(
    training: Iterable[tuple[str, str]], items: Iterable[tuple[str, str]], threshold: float
) -> list[Contamination]:
    """Every (id, text) item that is a near-duplicate of some (id, text) training entry."""
    index = TrainingIndex(threshold)
    for train_id, text in training:
        index.add(train_id, text)
    return [hit for item_id, text in items if (hit := index.match(item_id, text)) is not None]


def settle_heldout(
    train: list[Record], heldout: list[Record], curate: CurateConfig
) -> tuple[list[Record], list[Contamination]]:
    """The held-out records that stay, and one piece of evidence for each record moved to
    training (its `item_id`), in the order they moved.

    A held-out record near a training record (an instance of a task too large for the held-out
    room, whose siblings train) cannot be evaluated on, but it was accepted: it trains instead
    of being dropped, so a build still adds every record curation kept. Once it trains, other
    held-out records are checked against it too, until none is near any training record."""
    index = TrainingIndex(curate.rouge_threshold)
    for record in train:
        index.add(record.id, compared_text(record, curate.compare))
    staying = [(record, compared_text(record, curate.compare)) for record in heldout]
    moves: list[Contamination] = []
    while True:
        found = [(hit, text) for record, text in staying if (hit := index.match(record.id, text)) is not None]
        if not found:
            return [record for record, _ in staying], moves
        moves += [hit for hit, _ in found]
        leaving = {hit.item_id for hit, _ in found}
        staying = [(record, text) for record, text in staying if record.id not in leaving]
        # the rest were checked against everything that trained so far: only the records that
        # just moved can be near them now
        index = TrainingIndex(curate.rouge_threshold)
        for hit, text in found:
            index.add(hit.item_id, text)
