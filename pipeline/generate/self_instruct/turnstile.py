"""Batches in flight admit their instructions one at a time and in batch order.

The instruction screen (`screen.py`) is shared by every batch of a run and changes as it admits:
which of a batch's proposals survive depends on everything admitted before. With several batches
in flight, batch n proposes as soon as it starts but admits only once batch n-1 has admitted, so
a rerun admits exactly what the first run did (and replays the same later requests from the
journal). Holding the turn also makes the screen's mutation single-threaded.

A retried batch whose turn has passed admits again at once (the screen's admission is
idempotent per batch). When the run gives up (a batch failed for good), `close` releases every
waiting batch with an error instead of leaving its thread blocked."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from pipeline.errors import SeedforgeError


class Turnstile:
    def __init__(self) -> None:
        self._turn = threading.Condition()
        self._next = 0  # the lowest batch that has not admitted yet
        self._closed = False

    @contextmanager
    def turn(self, batch: int) -> Iterator[None]:
        """Wait until every batch before `batch` has admitted, then admit alone."""
        with self._turn:
            self._turn.wait_for(lambda: self._closed or self._next >= batch)
            if self._next < batch:
                raise SeedforgeError(
                    f"batch {batch} was not admitted: the run stopped while batch {self._next} "
                    "had not screened its instructions yet",
                    path="generate.parallel_batches",
                )
            try:
                yield
            finally:
                self._next = max(self._next, batch + 1)
                self._turn.notify_all()

    def close(self) -> None:
        with self._turn:
            self._closed = True
            self._turn.notify_all()
