"""Cyclic garbage collection paced by records instead of by allocations, for the curation
loop: the deciding process keeps everything it kept (texts, ids, LSH buckets), and the
interpreter's own pacing scans that ever-growing heap again and again. At a million
records its collections took about 43 of the deciding process's seconds, most of them
full collections over containers that only grow.

Records rarely make reference cycles, so collecting once every `every` records frees the
same garbage, only later; reference counting still frees everything else at once. What
survives a collection is frozen (`gc.freeze`), so the next one scans only what came after;
it is thawed when the block ends, and the collector then sees it again."""

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
        self._left, self._was_enabled, self._freezes = every, gc.isenabled(), False

    def __enter__(self) -> PacedCollection:
        self._was_enabled = gc.isenabled()
        # objects someone else froze stay theirs: thawing them too at the end would be a surprise
        self._freezes = gc.get_freeze_count() == 0
        gc.disable()
        return self

    def tick(self) -> None:
        self._left -= 1
        if self._left == 0:
            self._left = self.every
            gc.collect()
            if self._freezes:
                gc.freeze()
            self.collections += 1

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._freezes:
            gc.unfreeze()
        if self._was_enabled:
            gc.enable()
