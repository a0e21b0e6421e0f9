"""Whether one endpoint of several is in service: taken out when its answers say it is down,
probed back in after a delay that doubles while it stays down. One that refuses a request
outright (HTTP 401/403/404: its key, or its model name, is wrong there) is out for the rest of
the run: no probe would tell that it changed.

Plain data with the clock passed in, so it outlives one batch's event loop (an endpoint found
down in one batch is still out when the next starts, until a probe says otherwise)."""

from __future__ import annotations

from dataclasses import dataclass

# nothing listens: no point sending more there
DOWN_AT_ONCE = frozenset({"connection"})
# one of these may be a slow request or a hiccup; several in a row are a server in trouble
STORM_CAUSES = frozenset({"timeout", "http_500", "http_502", "http_503", "http_504", "http_529"})
STORM_SIZE = 3
MAX_PROBE_DELAY_S = 60.0


@dataclass
class Health:
    probe_after_s: float
    out: bool = False
    reason: str = ""
    consecutive: int = 0  # storm failures since the last answer
    probe_at: float = 0.0
    delay_s: float = 0.0
    taken_out: int = 0  # times, for logs and tests
    refused: bool = False  # out for good: it refused a request (key or model)
    probing_until: float = 0.0  # a probe is on its way (one at a time, whichever router sends it)

    def on_answer(self) -> bool:
        """True when this answer brings the endpoint back in (it answered while out)."""
        self.consecutive = 0
        if self.refused:  # an answer already on its way when it refused another
            return False
        back = self.out
        self.out = False
        return back

    def on_failure(self, cause: str, now: float) -> bool:
        """True when this failure takes the endpoint out."""
        if cause in DOWN_AT_ONCE:
            return self.take_out(now, cause)
        if cause in STORM_CAUSES:
            self.consecutive += 1
            if self.consecutive >= STORM_SIZE:
                return self.take_out(now, f"{self.consecutive} x {cause}")
            return False
        self.consecutive = 0  # a 429 or 400 comes from a live server
        return False

    def take_out(self, now: float, reason: str) -> bool:
        if self.out:
            return False
        self.out, self.reason = True, reason
        self.delay_s = self.probe_after_s
        self.probe_at = now + self.delay_s
        self.taken_out += 1
        return True

    def refuse(self, reason: str) -> None:
        self.out, self.reason, self.refused = True, reason, True
        self.taken_out += 1

    def claim_probe(self, now: float, timeout_s: float) -> bool:
        """Whether the caller sends the probe that is due now. Every client of the run has a
        router over the same endpoints, and all of them wake when a probe is due: one probes,
        the others wait for its answer (until `timeout_s`, when a probe that never answered
        frees the claim)."""
        if now < self.probe_at or now < self.probing_until:
            return False
        self.probing_until = now + timeout_s
        return True

    def next_probe_s(self, now: float) -> float:
        """Seconds until a probe may be due (a probe on its way counts as not yet answered)."""
        return max(0.0, max(self.probe_at, self.probing_until) - now)

    def on_probe(self, ok: bool, now: float) -> None:
        self.probing_until = 0.0
        if self.refused:
            return
        if ok:
            self.out, self.consecutive = False, 0
            return
        self.delay_s = min(MAX_PROBE_DELAY_S, max(self.delay_s, self.probe_after_s) * 2)
        self.probe_at = now + self.delay_s
