"""Held-out decontamination: no evaluation item may be a near-duplicate of a training item.

The rule is curation's own (exact match after normalisation, then ROUGE-L F1 above the novelty
threshold over CJK-aware tokens), run through the same inverted index, so "near-duplicate"
means the same thing at build time and at evaluation time. Curation already keeps every pair
of records below the threshold; this check makes that guarantee explicit and also covers eval
sets that users bring and held-out splits whose training side changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from pipeline.curate.config import CurateConfig
from pipeline.curate.dedup import ExactIndex, exact_key
from pipeline.curate.novelty import NoveltyIndex
from pipeline.curate.views import compared_text  # evaluate/run.py imports it from here too
from pipeline.records import Record, RejectedRecord
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


def decontaminate_heldout(
    train: list[Record], heldout: list[Record], curate: CurateConfig
) -> tuple[list[Record], list[Contamination]]:
    """The held-out records that are not near any training record, and the evidence for each
    one dropped. Dropped items are not moved into training: the split stays what it was."""
    hits = find_contamination(
        ((r.id, compared_text(r, curate.compare)) for r in train),
        ((r.id, compared_text(r, curate.compare)) for r in heldout),
        curate.rouge_threshold,
    )
    dropped = {hit.item_id for hit in hits}
    return [r for r in heldout if r.id not in dropped], hits


HELDOUT_CONTAMINATED = "heldout_contaminated"


def contamination_rejections(heldout: list[Record], hits: list[Contamination]) -> list[RejectedRecord]:
    """The dropped held-out records as rejected records (step `split`), each with its training
    partner, so a version's rejected.jsonl accounts for every record curation kept."""
    by_id = {record.id: record for record in heldout}
    return [
        RejectedRecord(
            record=by_id[hit.item_id].model_dump(mode="json"),
            step="split",
            reason=HELDOUT_CONTAMINATED,
            evidence={"partner_id": hit.partner_id, "rule": hit.rule, "score": hit.score},
        )
        for hit in hits
        if hit.item_id in by_id
    ]
