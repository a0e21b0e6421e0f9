"""Metrics for reports: percentiles, time-weighted concurrency, merging batches, markdown."""

from pipeline.llm.metrics import ConcurrencyTimeline, LLMStats, percentile, stats_markdown


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 50.0 and percentile(values, 0.95) == 95.0
    assert percentile([], 0.5) is None and percentile([3.0], 0.95) == 3.0


def test_timeline_averages_requests_in_flight_over_time() -> None:
    timeline = ConcurrencyTimeline(resolution_s=1.0)
    timeline.update(0.0, 4, 4, None)
    timeline.update(0.5, 2, 4, None)  # 4 in flight for half a second, then 2
    timeline.update(1.0, 2, 4, 10.0)
    timeline.update(2.0, 0, 2, 9.0)
    assert [round(p[1], 2) for p in timeline.points] == [3.0, 2.0]
    assert timeline.points[-1][2:] == (2, 9.0)
    assert timeline.mean_in_flight() == 2.0


def test_timeline_stays_bounded() -> None:
    timeline = ConcurrencyTimeline(resolution_s=0.1, max_points=50)
    for step in range(1000):
        timeline.update(step * 0.1, step % 5, 5, None)
    assert len(timeline.points) <= 51 and timeline.resolution_s > 0.1


def test_merge_and_as_dict_and_markdown() -> None:
    a, b = LLMStats(requests=2, sent=3, journal_hits=1), LLMStats(requests=1, sent=1)
    a.retries["http_429"] += 1
    b.quarantined_by_reason["timeout"] += 1
    a.latencies += [0.1, 0.2]
    b.latencies += [0.3]
    a.wall_s, b.wall_s = 1.0, 0.5
    a.merge(b)
    stats = a.as_dict()
    assert stats["requests"] == 3 and stats["requests_sent"] == 4 and stats["quarantined"] == 1
    assert stats["retries"] == {"http_429": 1} and stats["latency_p95_s"] == 0.3
    assert stats["answers_per_s"] == 2.0
    text = stats_markdown(stats)
    assert "| quarantined | timeout 1 |" in text and "http_429 1" in text
