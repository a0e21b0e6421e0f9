"""The adaptive controls as pure logic, with the clock passed in."""

import pytest

from pipeline.llm.config import LLMConfig
from pipeline.llm.control import ConcurrencyWindow, ControlState, LatencyTrend
from pipeline.llm.pacing import ProbingRate, TokenBucket


def test_window_grows_about_one_per_round_trip_while_healthy() -> None:
    window = ConcurrencyWindow(4, 1, 64)
    for n in range(4):  # one window's worth of answers
        window.on_answer(now=1.0 + n, sent_at=0.5, latency_signal=0.02)
    assert window.limit == 4 and 4.9 < window.size < 5.0
    for n in range(40):
        window.on_answer(now=10.0 + n, sent_at=9.0, latency_signal=0.02)
    assert window.limit >= 10


def test_window_halves_once_per_round_trip_on_overload() -> None:
    window = ConcurrencyWindow(16, 1, 64)
    window.on_overload(now=5.0, sent_at=4.9)
    assert window.limit == 8
    # overloads from requests sent before that decrease were already answered for
    window.on_overload(now=5.01, sent_at=4.95)
    window.on_overload(now=5.02, sent_at=4.99)
    assert window.limit == 8
    window.on_overload(now=6.0, sent_at=5.5)
    assert window.limit == 4
    for _ in range(10):
        window.on_overload(now=7.0 + _, sent_at=6.5 + _)
    assert window.limit == 1  # never below the minimum


def test_window_shrinks_when_latency_rises_well_above_its_best() -> None:
    window = ConcurrencyWindow(8, 1, 64)
    for n in range(20):
        window.on_answer(now=float(n), sent_at=n - 0.5, latency_signal=0.02)
    grown = window.size
    for n in range(20, 40):  # the server starts queueing: 5x slower
        window.on_answer(now=float(n), sent_at=n - 0.5, latency_signal=0.10)
    assert window.size < grown * 0.5 and window.decreases >= 3


def test_fixed_window_when_not_adaptive() -> None:
    window = ConcurrencyWindow(4, 1, 64, adaptive=False)
    window.on_overload(now=1.0, sent_at=0.5)
    window.on_answer(now=2.0, sent_at=1.5, latency_signal=9.0)
    assert window.limit == 4


def test_latency_baseline_is_the_best_recent_average() -> None:
    trend = LatencyTrend()
    ratios = [trend.observe(v) for v in (0.1, 0.1, 0.1, 0.3, 0.3, 0.3)]
    assert ratios[0] == 1.0 and ratios[-1] > 2.0


def test_probing_rate_backs_off_then_finds_the_old_ceiling_and_beyond() -> None:
    rate = ProbingRate()
    assert rate.current(0.0) is None
    rate.on_rate_limited(now=10.0, sending=100.0)
    assert rate.current(10.0) == pytest.approx(90.0)  # multiplicative decrease
    assert rate.current(12.32) == pytest.approx(100.0, rel=0.01)  # back at the ceiling
    assert 100.0 < rate.current(14.0) < 105.0  # flat near it: where 429s would begin
    assert rate.current(17.0) > 180.0  # a raised limit is found again within seconds


def test_probing_rate_growth_is_capped_by_demand() -> None:
    rate = ProbingRate()
    rate.on_rate_limited(now=0.0, sending=50.0)
    assert rate.current(60.0, demand_cap=30.0) == 50.0  # never below the learned ceiling
    assert rate.current(60.0, demand_cap=400.0) == 400.0


def test_probing_rate_without_goodput_still_decreases() -> None:
    rate = ProbingRate()
    rate.on_rate_limited(now=0.0, sending=0.0)
    first = rate.current(0.0)
    rate.on_rate_limited(now=0.1, sending=0.0)
    assert rate.current(0.1) < first


def test_token_bucket_paces_and_allows_debt() -> None:
    bucket = TokenBucket(per_minute=600, now=0.0)  # 10/s, banks 10
    for _ in range(10):
        assert bucket.wait_s(0.0) == 0.0
        bucket.take(1, 0.0)
    assert bucket.wait_s(0.0) == pytest.approx(0.1)
    assert bucket.wait_s(0.1) == 0.0
    bucket.take(20, 0.1)  # one request larger than the bank: the next ones wait it off
    assert bucket.wait_s(0.1) == pytest.approx(2.0)
    bucket.refund(5, 0.1)  # it used fewer tokens than estimated
    assert bucket.wait_s(0.1) == pytest.approx(1.5)


def test_control_state_retry_after_closes_the_gate_for_everyone() -> None:
    state = ControlState(LLMConfig(concurrency=4), now=0.0)
    assert state.wait_s(1.0) == 0.0
    state.on_rate_limited(now=1.0, sent_at=0.9, retry_after_s=0.5)
    assert state.wait_s(1.1) == pytest.approx(0.4)
    assert state.rate.active  # and a paced rate is learned from then on


def test_control_state_rpm_cap() -> None:
    state = ControlState(LLMConfig(requests_per_minute=120), now=0.0)  # 2/s, banks 2
    state.on_admit(0.0, 10)
    state.on_admit(0.0, 10)
    assert state.wait_s(0.0) == pytest.approx(0.5, rel=0.01)
