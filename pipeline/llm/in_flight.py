"""Requests in flight on one endpoint, counted over every batch of a run.

Each batch sends through its own event loop (a thread of the CLI's pool or of Prefect's task
runner) with its own admission queue, while the adaptive window is learned once per endpoint
(`ControlState`). The window bounds the sum over those queues, so the count lives here, beside
the window, behind a lock. A request finishing in one loop wakes the queues waiting in the
others (`call_soon_threadsafe`): a slot freed anywhere is taken by whoever waits longest in
its own loop, and no queue sleeps while the endpoint has room."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable


class InFlight:
    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()
        self._wakers: dict[int, tuple[asyncio.AbstractEventLoop, Callable[[], None]]] = {}

    def take(self, limit: int) -> bool:
        """One slot if fewer than `limit` are taken."""
        with self._lock:
            if self.count >= limit:
                return False
            self.count += 1
            return True

    def give_back(self, owner: int) -> None:
        """Free a slot and wake every other owner's queue (its own pumps after this call)."""
        with self._lock:
            self.count -= 1
            others = [waker for key, waker in self._wakers.items() if key != owner]
        for loop, wake in others:
            try:
                loop.call_soon_threadsafe(wake)
            except RuntimeError:  # that loop has closed: its batch is over
                pass

    def listen(self, owner: int, wake: Callable[[], None]) -> None:
        """`wake` is called in the running loop when another owner frees a slot."""
        loop = asyncio.get_running_loop()
        with self._lock:
            self._wakers[owner] = (loop, wake)

    def forget(self, owner: int) -> None:
        with self._lock:
            self._wakers.pop(owner, None)

    # the run state is pickled for process-based task runners: each process counts its own
    def __getstate__(self) -> dict[str, object]:
        return {}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__init__()  # type: ignore[misc]
