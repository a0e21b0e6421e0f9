"""Rates: fixed caps (requests or tokens per minute) and the rate learned from 429 answers.

Pure logic with the clock passed in, so it can be tested without sleeping and kept across the
event loops of one run's batches."""

from __future__ import annotations

import math


class TokenBucket:
    """A smooth per-minute cap: refills continuously, banks at most about one second's worth.

    A large request may take the level below zero (debt); the next ones then wait, so the
    average rate holds even when one request alone is larger than the bank."""

    def __init__(self, per_minute: float, now: float):
        self.rate = per_minute / 60.0
        self.capacity = max(1.0, self.rate)
        self.level = self.capacity
        self.updated = now

    def _refill(self, now: float) -> None:
        self.level = min(self.capacity, self.level + (now - self.updated) * self.rate)
        self.updated = now

    def wait_s(self, now: float) -> float:
        self._refill(now)
        return 0.0 if self.level >= 1.0 else (1.0 - self.level) / self.rate

    def take(self, amount: float, now: float) -> None:
        self._refill(now)
        self.level -= amount

    def refund(self, amount: float, now: float) -> None:
        self._refill(now)
        self.level = min(self.capacity, self.level + amount)


class ProbingRate:
    """A request rate learned from rate-limit answers, for servers that do not announce theirs.

    Unset until the first 429. Each 429 (see ControlState for how often) sets the ceiling to
    the rate we were sending at when it happened and drops to `backoff` of it (multiplicative
    decrease).
    It then grows back with time since that decrease along a cubic curve: quickly up to near
    the old ceiling, flat around it (where 429s would start), then ever faster beyond it, so a
    limit that was raised is found again within seconds while a steady one is rarely exceeded.
    """

    def __init__(self, backoff: float = 0.9, growth: float = 0.008, floor: float = 0.05):
        self.backoff = backoff
        self.growth = growth  # share of the ceiling per s^3
        self.floor = floor
        self.ceiling: float | None = None
        self.decreased_at = 0.0
        # seconds from a decrease until the curve is back at the ceiling
        self._plateau_s = math.pow((1 - backoff) / growth, 1 / 3)

    @property
    def active(self) -> bool:
        return self.ceiling is not None

    def current(self, now: float, demand_cap: float | None = None) -> float | None:
        """Requests per second allowed now; `demand_cap` stops growth the caller cannot use."""
        if self.ceiling is None:
            return None
        t = now - self.decreased_at - self._plateau_s
        rate = self.ceiling * (1 + self.growth * t**3)
        if demand_cap is not None:
            rate = min(rate, max(self.ceiling, demand_cap))
        return max(self.floor, rate)

    def on_rate_limited(self, now: float, sending: float) -> None:
        """`sending`: requests per second sent just before the 429 (0 when unknown)."""
        current = self.current(now)
        if sending > 0:
            ceiling = sending if current is None else min(sending, current)
        else:
            ceiling = (current or 1.0) * self.backoff
        self.ceiling = max(self.floor, ceiling)
        self.decreased_at = now
