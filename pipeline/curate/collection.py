"""Cyclic garbage collection paced by records instead of by allocations, for the curation
loop: the deciding process keeps everything it kept (texts, ids, LSH buckets), and the
interpreter's own pacing scans that ever-growing heap again and again. At a million
records its collections took about 43 of the deciding process's seconds, most of them
full collections over containers that only grow.

Records rarely make reference cycles, so collecting once every `every` records frees the
same garbage, only later; reference counting still frees everything else at once."""

from __future__ import annotations

import gc
from types import TracebackType

COLLECT_EVERY = 100_000  # records between full collections: about ten at a million


class PacedCollection:
    """`with PacedCollection() as paced:` then `paced.tick()` once a record. The automatic
    collector is off inside the block and back as it was after it, also on an error."""

    def __init__(self, every: int = COLLECT_EVERY):
        if every < 1:
            raise ValueError("collect at least once every record: every >= 1")
        self.every, self.collections = every, 0
        self._left, self._was_enabled = every, gc.isenabled()

    def __enter__(self) -> PacedCollection:
        self._was_enabled = gc.isenabled()
        gc.disable()
        return self

    def tick(self) -> None:
        self._left -= 1
        if self._left == 0:
            self._left = self.every
            gc.collect()
            self.collections += 1

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._was_enabled:
            gc.enable()
