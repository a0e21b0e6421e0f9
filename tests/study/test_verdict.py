from __future__ import annotations

from pipeline.study.scores import Point, bootstrap_interval
from pipeline.study.verdict import verdict


def curve(*points: tuple[int, float, float, float]) -> list[Point]:
    return [Point(examples=n, items=10, mean=m, low=lo, high=hi) for n, m, lo, hi in points]


def test_the_bootstrap_interval_holds_the_mean_and_narrows_with_items() -> None:
    values = [0.1, 0.4, 0.5, 0.9, 0.3, 0.6]
    low, high = bootstrap_interval(values, 0.95, 2000, 0)
    assert low is not None and high is not None
    assert low < sum(values) / len(values) < high
    wide = high - low
    low, high = bootstrap_interval(values * 10, 0.95, 2000, 0)
    assert high - low < wide  # type: ignore[operator]
    assert bootstrap_interval([0.5], 0.95, 2000, 0) == (None, None)


def test_a_curve_still_rising_at_the_last_doubling_is_still_improving() -> None:
    result = verdict(
        "extract", curve((10, 0.2, 0.15, 0.25), (20, 0.3, 0.25, 0.35), (40, 0.45, 0.4, 0.5)), 0.02
    )
    assert result.verdict == "still improving"
    assert result.last_doubling_gain == 0.15
    assert result.suggested_quota == 40  # one more doubling


def test_a_flat_last_doubling_after_a_rise_is_saturated() -> None:
    result = verdict(
        "translation", curve((10, 0.2, 0.1, 0.3), (20, 0.5, 0.4, 0.6), (40, 0.51, 0.41, 0.61)), 0.02
    )
    assert result.verdict == "saturated"
    assert result.suggested_quota == 0
    assert "overlapping" in result.why


def test_no_rise_from_the_smallest_size_is_not_improving() -> None:
    result = verdict("math", curve((10, 0.3, 0.2, 0.4), (20, 0.29, 0.2, 0.4), (40, 0.31, 0.2, 0.4)), 0.02)
    assert result.verdict == "not improving"
    assert result.suggested_quota == 0


def test_a_real_drop_at_the_last_doubling_is_not_improving() -> None:
    result = verdict("code", curve((10, 0.1, 0.05, 0.15), (20, 0.6, 0.55, 0.65), (40, 0.3, 0.25, 0.35)), 0.02)
    assert result.verdict == "not improving"
    assert "lost" in result.why


def test_the_last_doubling_is_measured_from_half_the_largest_size() -> None:
    # 10 -> 15 -> 20: the doubling is 10 -> 20, not 15 -> 20
    result = verdict("x", curve((10, 0.2, 0.1, 0.3), (15, 0.4, 0.3, 0.5), (20, 0.41, 0.3, 0.5)), 0.02)
    assert result.last_doubling_gain == 0.21
    assert result.verdict == "still improving"


def test_one_size_with_examples_is_too_little_data() -> None:
    result = verdict("rare", curve((0, 0.2, None, None), (3, 0.4, None, None)), 0.02)  # type: ignore[arg-type]
    assert result.verdict == "too little data"
    assert result.suggested_quota == 3
