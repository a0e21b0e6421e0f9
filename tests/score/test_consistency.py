"""The bias numbers by hand: ranks, Spearman, the seeded sample, agreement between orders."""

import math

import pytest

from pipeline.records import QualityScore
from pipeline.score.consistency import Consistency, output_length, ranks, sample_scored, spearman
from tests.score.judges import alpaca, dialogue


def test_ranks_share_ties() -> None:
    assert ranks([10, 30, 20]) == [1.0, 3.0, 2.0]
    assert ranks([5, 6, 7, 8, 7]) == [1.0, 2.0, 3.5, 5.0, 3.5]
    assert ranks([2, 2, 2]) == [2.0, 2.0, 2.0]


def test_spearman_by_hand() -> None:
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [9, 7, 5, 1]) == pytest.approx(-1.0)
    # ranks [1..5] against [1, 2, 3.5, 5, 3.5]: 8 / sqrt(10 * 9.5)
    assert spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) == pytest.approx(8 / math.sqrt(95))
    assert spearman([1, 2], [1, 2]) is None  # too few
    assert spearman([1, 2, 3], [4, 4, 4]) is None  # a constant side
    with pytest.raises(ValueError):
        spearman([1, 2, 3], [1, 2])


def test_the_sample_is_seeded_and_keeps_record_order() -> None:
    scored = [
        (alpaca(f"Task {i}.", "Done."), QualityScore(score=3, judge="m", rubric="r@1")) for i in range(30)
    ]
    first = sample_scored(scored, 5, seed=7)
    assert first == sample_scored(scored, 5, seed=7) != sample_scored(scored, 5, seed=8)
    positions = [scored.index(item) for item in first]
    assert len(first) == 5 and positions == sorted(positions)
    assert sample_scored(scored[:3], 5, seed=7) == scored[:3]
    assert sample_scored(scored, 0, seed=7) == []


def test_agreement_numbers() -> None:
    result = Consistency(sampled=5, unreadable=1, pairs=[("a", 4, 4), ("b", 5, 4), ("c", 2, 5), ("d", 3, 3)])
    assert result.compared == 4
    assert result.mean_abs_delta == pytest.approx(1.0)
    assert result.share_identical == pytest.approx(0.5)
    assert result.share_within_1 == pytest.approx(0.75)
    empty = Consistency()
    assert empty.mean_abs_delta is None and empty.share_identical is None and empty.share_within_1 is None


def test_output_length_counts_the_answer_side() -> None:
    assert output_length(alpaca("Ask.", "12345")) == 5
    assert (
        output_length(dialogue(("user", "hello"), ("assistant", "abc"), ("user", "x"), ("assistant", "de")))
        == 5
    )
