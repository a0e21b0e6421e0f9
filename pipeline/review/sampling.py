"""Which records a reviewer reads: a few from every task category and every risk band, the
riskiest first, never one reviewed before.

Risk is the scored quality step's 1-5 score where a record has one (`lineage.quality`): a low
score is where a reader most likely finds a defect, so within a stratum the lowest score comes
first. Records without a score form their own band, read after the scored bands. Strata take
turns, so a sample of N covers as many categories and bands as N allows. The order is fixed
by `seed` (a build id, or a version): the same records, the same sample."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from pipeline.records import Record

UNCATEGORISED = "uncategorised"
# risk bands by quality score, riskiest first; records without a score come last
LOW, MIDDLE, HIGH, UNSCORED = "low score (1-2)", "middle score (3)", "high score (4-5)", "unscored"
BAND_ORDER = (LOW, MIDDLE, HIGH, UNSCORED)


@dataclass(frozen=True)
class Sampled:
    """A record picked for review, with the stratum it was picked from."""

    record: Record
    category: str
    risk: str
    score: int | None


def score_of(record: Record) -> int | None:
    quality = record.lineage.quality
    return quality.score if quality is not None else None


def risk_band(score: int | None) -> str:
    if score is None:
        return UNSCORED
    if score <= 2:
        return LOW
    return MIDDLE if score == 3 else HIGH


def _tiebreak(seed: str, record_id: str) -> str:
    return hashlib.sha256(f"{seed}:{record_id}".encode()).hexdigest()


def sample_for_review(records: Iterable[Record], size: int, *, skip: set[str], seed: str) -> list[Sampled]:
    """Up to `size` records not in `skip` (ids reviewed before), one stratum after another:
    riskiest band first, then categories by name; within a stratum, lowest score first."""
    strata: dict[tuple[int, str], list[Sampled]] = {}
    for record in records:
        if record.id in skip:
            continue
        score = score_of(record)
        band = risk_band(score)
        category = record.lineage.category or UNCATEGORISED
        strata.setdefault((BAND_ORDER.index(band), category), []).append(
            Sampled(record, category, band, score)
        )
    queues = [
        sorted(items, key=lambda s: (s.score if s.score is not None else 99, _tiebreak(seed, s.record.id)))
        for _, items in sorted(strata.items())
    ]
    picked: list[Sampled] = []
    while len(picked) < size and any(queues):
        for queue in queues:
            if queue and len(picked) < size:
                picked.append(queue.pop(0))
    return picked
