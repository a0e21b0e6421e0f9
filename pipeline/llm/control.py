"""How many requests may be in flight, and when the next may go: the adaptive controls.

- `ConcurrencyWindow`: AIMD on the number of requests in flight. Additive growth (about one
  more per round trip's worth of answers) while healthy; multiplicative decrease on 503/504/529,
  timeouts and latency that rises well above its best (the server is queueing).
- `ProbingRate` (pacing.py): the request rate learned from 429s, for unannounced rate limits.
- `Retry-After`: no new request goes out before the time the server asked for; the requests that
  waited then leave at the (lowered) paced rate, one by one — never all at once.
- Optional requests-per-minute and tokens-per-minute caps for hosted APIs.

A decrease is taken at most once per round trip: an overload answer to a request sent before
the last decrease was already answered for (as TCP ignores losses from the old window).
`ControlState` is plain data and outlives one batch's event loop; `Admission` (admission.py)
is the per-loop queue that applies it, and the window bounds the requests in flight summed over
those queues (`in_flight.py`: batches may run at once in several threads).
"""

from __future__ import annotations

import math
from collections import deque

from pipeline.llm.config import LLMConfig
from pipeline.llm.in_flight import InFlight
from pipeline.llm.pacing import ProbingRate, TokenBucket

RATE_DECREASE_INTERVAL_S = 1.0


class LatencyTrend:
    """A short-term average of a latency signal against the best it has been."""

    def __init__(self, smoothing: float = 0.3, baseline_drift: float = 0.001):
        self.smoothing = smoothing
        self.baseline_drift = baseline_drift  # lets the best rise slowly if the server changes
        self.recent: float | None = None
        self.baseline: float | None = None

    def observe(self, value: float) -> float:
        """The new sample's ratio of recent to baseline latency."""
        self.recent = (
            value if self.recent is None else (self.smoothing * value + (1 - self.smoothing) * self.recent)
        )
        if self.baseline is None or self.recent < self.baseline:
            self.baseline = self.recent
        else:
            self.baseline *= 1 + self.baseline_drift
        return self.recent / self.baseline if self.baseline > 0 else 1.0


class ConcurrencyWindow:
    def __init__(
        self,
        start: int,
        minimum: int,
        maximum: int,
        *,
        adaptive: bool = True,
        decrease: float = 0.5,
        latency_decrease: float = 0.8,
        latency_tolerance: float = 2.0,
    ):
        self.minimum, self.maximum = minimum, max(minimum, maximum)
        self.size = float(min(max(start, self.minimum), self.maximum))
        self.adaptive = adaptive
        self.decrease, self.latency_decrease = decrease, latency_decrease
        self.latency_tolerance = latency_tolerance
        self.latency = LatencyTrend()
        self.decreased_at = -math.inf
        self.decreases = 0

    @property
    def limit(self) -> int:
        return max(self.minimum, min(self.maximum, int(self.size)))

    def on_answer(self, now: float, sent_at: float, latency_signal: float) -> None:
        if not self.adaptive:
            return
        if self.latency.observe(latency_signal) > self.latency_tolerance:
            self._decrease(now, sent_at, self.latency_decrease)
        else:
            self.size = min(float(self.maximum), self.size + 1.0 / self.size)

    def on_overload(self, now: float, sent_at: float) -> None:
        if self.adaptive:
            self._decrease(now, sent_at, self.decrease)

    def _decrease(self, now: float, sent_at: float, factor: float) -> None:
        if sent_at <= self.decreased_at:
            return
        self.size = max(float(self.minimum), self.size * factor)
        self.decreased_at = now
        self.decreases += 1


class RecentEvents:
    """Timestamps of recent events, for rates over a sliding look-back."""

    def __init__(self) -> None:
        self._times: deque[float] = deque()
        self._first: float | None = None

    def add(self, now: float) -> None:
        self._times.append(now)
        if self._first is None:
            self._first = now

    def discard(self, at: float) -> None:
        """Forget one event at `at` (the most recent such), if it is still counted."""
        for index in range(len(self._times) - 1, -1, -1):
            if self._times[index] == at:
                del self._times[index]
                return

    def per_second(self, now: float, lookback_s: float) -> float:
        """Over the look-back, or over the time since the first event if that is shorter."""
        while self._times and self._times[0] < now - lookback_s:
            self._times.popleft()
        if self._first is None:
            return 0.0
        return len(self._times) / max(0.05, min(lookback_s, now - self._first))


class ControlState:
    """Everything the controls have learned about one endpoint during a run."""

    def __init__(self, config: LLMConfig, now: float):
        maximum = config.max_concurrency or max(config.concurrency, 32)
        self.window = ConcurrencyWindow(
            config.concurrency, config.min_concurrency, maximum, adaptive=config.adaptive
        )
        self.rate = ProbingRate()
        self.learn_rate = config.adaptive
        self.rpm = TokenBucket(config.requests_per_minute, now) if config.requests_per_minute else None
        self.tpm = TokenBucket(config.tokens_per_minute, now) if config.tokens_per_minute else None
        self.gate_until = 0.0  # Retry-After: nothing new leaves before this time
        self.in_flight = InFlight()  # over every batch's queue
        self.rate_limited = 0
        self._admissions = RecentEvents()
        self._round_trip_s: float | None = None
        self._pace_level = 1.0
        self._pace_updated = now

    def lookback_s(self) -> float:
        return max(1.0, 2.0 * (self._round_trip_s or 0.0))

    def paced_rate(self, now: float) -> float | None:
        demand = 2.0 * self._admissions.per_second(now, self.lookback_s())
        return self.rate.current(now, demand_cap=demand or None)

    def wait_s(self, now: float) -> float:
        """0 when a request may leave now (the window aside), else how long until it may."""
        waits = [self.gate_until - now]
        rate = self.paced_rate(now)
        if rate is not None:
            capacity = max(1.0, rate * 0.05)
            self._pace_level = min(capacity, self._pace_level + (now - self._pace_updated) * rate)
            self._pace_updated = now
            waits.append((1.0 - self._pace_level) / rate)
        for bucket in (self.rpm, self.tpm):
            if bucket is not None:
                waits.append(bucket.wait_s(now))
        return max(0.0, *waits)

    def on_admit(self, now: float, token_estimate: int) -> None:
        self._admissions.add(now)
        if self.rate.active:
            self._pace_level -= 1.0
        if self.rpm is not None:
            self.rpm.take(1, now)
        if self.tpm is not None:
            self.tpm.take(token_estimate, now)

    def on_unused(self, now: float, admitted_at: float) -> None:
        """A turn given back without sending: its share of the paced and capped rates returns,
        and it no longer counts as a request sent (the rate learned from 429s reads that)."""
        self._admissions.discard(admitted_at)
        if self.rate.active:
            self._pace_level += 1.0
        if self.rpm is not None:
            self.rpm.refund(1, now)

    def on_answer(self, now: float, sent_at: float, latency_s: float, latency_signal: float) -> None:
        self._round_trip_s = (
            latency_s if self._round_trip_s is None else (0.2 * latency_s + 0.8 * self._round_trip_s)
        )
        self.window.on_answer(now, sent_at, latency_signal)

    def on_overload(self, now: float, sent_at: float) -> None:
        self.window.on_overload(now, sent_at)

    def on_rate_limited(self, now: float, sent_at: float, retry_after_s: float | None) -> None:
        self.rate_limited += 1
        if retry_after_s:
            self.gate_until = max(self.gate_until, now + retry_after_s)
        # at most one decrease per round trip and per second: 429s that do not come from our
        # rate (another client on the same key, a flaky gateway) then slow us gently instead
        # of driving the rate to nothing
        since = now - self.rate.decreased_at
        if self.learn_rate and sent_at > self.rate.decreased_at and since >= RATE_DECREASE_INTERVAL_S:
            self.rate.on_rate_limited(now, self._admissions.per_second(now, self.lookback_s()))

    def refund_tokens(self, now: float, amount: int) -> None:
        if self.tpm is not None and amount > 0:
            self.tpm.refund(amount, now)
