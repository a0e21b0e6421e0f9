"""What the LLM layer did, for reports: counts, retries by cause, tokens, cost, latency, and the
concurrency it actually used over time."""

from __future__ import annotations

import itertools
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pipeline.llm.budget import format_cost


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(q * len(ordered) + 0.5) - 1))]


@dataclass
class ConcurrencyTimeline:
    """Mean requests in flight per interval (time-weighted), with the limits in force then.

    Points are (monotonic time, mean in flight, window limit, paced rate or None)."""

    resolution_s: float = 0.5
    max_points: int = 2000
    points: list[tuple[float, float, int, float | None]] = field(default_factory=list)
    _bucket_start: float | None = None
    _last: float = 0.0
    _area: float = 0.0
    _in_flight: int = 0

    def update(self, now: float, in_flight: int, limit: int, rate: float | None) -> None:
        if self._bucket_start is None:
            self._bucket_start = self._last = now
        self._area += self._in_flight * (now - self._last)
        self._last, self._in_flight = now, in_flight
        elapsed = now - self._bucket_start
        if elapsed >= self.resolution_s:
            self.points.append((now, self._area / elapsed, limit, rate))
            self._bucket_start, self._area = now, 0.0
            if len(self.points) > self.max_points:
                self.points = self.points[1::2]
                self.resolution_s *= 2

    def mean_in_flight(self) -> float | None:
        if len(self.points) < 2:
            return None
        spans = [(b[0] - a[0], b[1]) for a, b in itertools.pairwise(self.points)]
        total = sum(span for span, _ in spans)
        return sum(span * mean for span, mean in spans) / total if total > 0 else None


@dataclass
class LLMStats:
    requests: int = 0  # requests asked by the caller (re-asks not counted)
    sent: int = 0  # HTTP attempts
    journal_hits: int = 0
    retries: Counter[str] = field(default_factory=Counter)  # by cause
    quarantined_by_reason: Counter[str] = field(default_factory=Counter)
    deferred: int = 0  # not sent: the budget was spent
    reasks: int = 0  # structured answers asked again after failing validation
    rate_limited: int = 0  # 429 answers
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0  # of the priced models; unpriced_tokens say what it leaves out
    unpriced_tokens: int = 0  # tokens of a model with no price in llm.prices: their cost is unknown
    usage_estimated: int = 0  # answers without usage from the server: their tokens are estimated
    billed_failures: int = 0  # failed attempts the server says it billed (counted in tokens and cost)
    replayed_cost_usd: float = 0.0  # what the journal's answers would have cost again
    latencies: list[float] = field(default_factory=list)
    timeline: ConcurrencyTimeline = field(default_factory=ConcurrencyTimeline)
    wall_s: float = 0.0
    budget_exhausted: bool = False
    started: float = field(default_factory=time.monotonic)

    @property
    def quarantined(self) -> int:
        return sum(self.quarantined_by_reason.values())

    def merge(self, other: LLMStats) -> None:
        """Add another batch's numbers (a run's totals over its batches)."""
        for name in (
            "requests",
            "sent",
            "journal_hits",
            "deferred",
            "reasks",
            "rate_limited",
            "prompt_tokens",
            "completion_tokens",
            "cost_usd",
            "unpriced_tokens",
            "usage_estimated",
            "billed_failures",
            "replayed_cost_usd",
            "wall_s",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.retries.update(other.retries)
        self.quarantined_by_reason.update(other.quarantined_by_reason)
        self.latencies.extend(other.latencies)
        self.timeline.points = sorted(self.timeline.points + other.timeline.points)
        self.budget_exhausted = self.budget_exhausted or other.budget_exhausted

    def as_dict(self) -> dict[str, Any]:
        points = self.timeline.points
        origin = points[0][0] if points else 0.0
        mean_in_flight = self.timeline.mean_in_flight()
        p50, p95 = percentile(self.latencies, 0.5), percentile(self.latencies, 0.95)
        return {
            "requests": self.requests,
            "requests_sent": self.sent,
            "journal_hits": self.journal_hits,
            "retries": dict(self.retries),
            "retries_total": sum(self.retries.values()),
            "quarantined": self.quarantined,
            "quarantined_by_reason": dict(self.quarantined_by_reason),
            "deferred": self.deferred,
            "reasks": self.reasks,
            "rate_limited": self.rate_limited,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost_usd": round(self.cost_usd, 6),
            "cost_known": self.unpriced_tokens == 0,
            "unpriced_tokens": self.unpriced_tokens,
            "usage_estimated": self.usage_estimated,
            "billed_failures": self.billed_failures,
            "replayed_cost_usd": round(self.replayed_cost_usd, 6),
            "latency_p50_s": None if p50 is None else round(p50, 4),
            "latency_p95_s": None if p95 is None else round(p95, 4),
            "wall_s": round(self.wall_s, 3),
            "answers_per_s": round(len(self.latencies) / self.wall_s, 2) if self.wall_s else None,
            "effective_concurrency_mean": None if mean_in_flight is None else round(mean_in_flight, 2),
            "concurrency_timeline": [
                [round(t - origin, 2), round(mean, 2), limit, None if rate is None else round(rate, 2)]
                for t, mean, limit, rate in points
            ],
            "budget_exhausted": self.budget_exhausted,
        }


def stats_markdown(stats: dict[str, Any]) -> str:
    """A report section from `LLMStats.as_dict()`."""
    rows = [
        ("requests", stats["requests"]),
        ("sent to the model (attempts)", stats["requests_sent"]),
        ("answered from the journal", stats["journal_hits"]),
        ("retries", ", ".join(f"{k} {v}" for k, v in sorted(stats["retries"].items())) or 0),
        (
            "quarantined",
            ", ".join(f"{k} {v}" for k, v in sorted(stats["quarantined_by_reason"].items())) or 0,
        ),
        ("deferred by the budget", stats["deferred"]),
        ("structured answers asked again", stats["reasks"]),
        ("prompt / completion tokens", f"{stats['prompt_tokens']} / {stats['completion_tokens']}"),
        ("answers without usage (tokens estimated)", stats.get("usage_estimated", 0)),
        ("failed attempts billed (counted)", stats.get("billed_failures", 0)),
        ("cost", format_cost(stats["cost_usd"], stats.get("unpriced_tokens", 0))),
        ("saved by the journal (USD)", f"{stats['replayed_cost_usd']:.4f}"),
        ("latency p50 / p95 (s)", f"{stats['latency_p50_s']} / {stats['latency_p95_s']}"),
        ("mean requests in flight", stats["effective_concurrency_mean"]),
    ]
    lines = ["| LLM | value |", "| --- | ---: |"] + [f"| {name} | {value} |" for name, value in rows]
    if stats.get("budget_exhausted"):
        lines += ["", "The budget cap was reached: the run stopped early; run it again to resume."]
    return "\n".join(lines) + "\n"
