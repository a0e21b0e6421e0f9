"""Which records a reviewer reads: every category and risk band, low scores first, never twice."""

from __future__ import annotations

from pipeline.records import AlpacaRecord, Lineage, QualityScore
from pipeline.review.sampling import HIGH, LOW, UNSCORED, sample_for_review


def record(n: int, category: str | None, score: int | None) -> AlpacaRecord:
    quality = QualityScore(score=score, judge="j", rubric="r@1") if score is not None else None
    return AlpacaRecord(
        instruction=f"Task number {n}.",
        output=f"Answer {n}.",
        lineage=Lineage(generator="test", category=category, quality=quality),
    )


RECORDS = [
    *(record(n, "qa", 5) for n in range(6)),
    *(record(n, "qa", 1) for n in range(6, 8)),
    *(record(n, "writing", None) for n in range(8, 12)),
    record(12, None, 2),
]


def test_riskiest_band_first_then_every_category() -> None:
    picked = sample_for_review(RECORDS, 4, skip=set(), seed="b1")
    strata = [(item.risk, item.category) for item in picked]
    assert strata == [(LOW, "qa"), (LOW, "uncategorised"), (HIGH, "qa"), (UNSCORED, "writing")]
    assert picked[0].score == 1


def test_lowest_score_first_within_a_stratum_and_deterministic() -> None:
    mixed = [record(20, "qa", 2), record(21, "qa", 1), record(22, "qa", 2)]
    picked = sample_for_review(mixed, 3, skip=set(), seed="s")
    assert [item.score for item in picked] == [1, 2, 2]
    assert [i.record.id for i in sample_for_review(RECORDS, 7, skip=set(), seed="x")] == [
        i.record.id for i in sample_for_review(RECORDS, 7, skip=set(), seed="x")
    ]


def test_reviewed_records_are_never_sampled_and_the_sample_ends_with_the_records() -> None:
    reviewed = {r.id for r in RECORDS[:10]}
    picked = sample_for_review(RECORDS, 50, skip=reviewed, seed="b2")
    assert {i.record.id for i in picked} == {r.id for r in RECORDS[10:]}
    assert sample_for_review(RECORDS, 5, skip={r.id for r in RECORDS}, seed="b3") == []
