"""Versions that accumulate: build N's version holds what every build so far kept, the parent
version's train and held-out records as they were plus this build's new records.

Only the new records are split. A held-out record stays held-out in every later version and
a training record stays in training; a new instance of a task the parent holds joins that
task's split; the rest are split by task so that the new held-out share keeps the whole
version near the configured fraction (and its minimum). A new held-out pick near any training
item, old or new, by curation's rule (`decontaminate.py`) trains instead, as in a first build,
so a build adds every record curation kept.

The manifest names the `parent` version, the `build` that added to it, its `growth` and the
growth of every build before it (`builds`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from pipeline.curate.config import CurateConfig
from pipeline.dataset.decontaminate import Contamination, settle_heldout
from pipeline.dataset.versions import heldout_group, pick_heldout
from pipeline.records import Record


@dataclass
class Grown:
    """The next version's splits and what this build added to them."""

    train: list[Record]
    heldout: list[Record]
    added_train: list[Record] = field(default_factory=list)
    added_heldout: list[Record] = field(default_factory=list)
    moved: list[Contamination] = field(default_factory=list)  # held-out picks that train instead
    already_there: int = 0  # new records the parent already held (same id)

    @property
    def added(self) -> int:
        return len(self.added_train) + len(self.added_heldout)

    @property
    def total(self) -> int:
        return len(self.train) + len(self.heldout)


def new_heldout_size(new: int, parent_train: int, parent_heldout: int, fraction: float, minimum: int) -> int:
    """How many new records go to held-out: enough for the whole version to reach
    max(minimum, ceil(fraction * total)), and never every record of a version without
    training records. A first build gets what `split_decontaminated` gives."""
    total = new + parent_train + parent_heldout
    wanted = max(minimum, math.ceil(fraction * total)) - parent_heldout
    cap = new if parent_train else new - 1
    return max(0, min(wanted, cap))


def grow(
    parent_train: list[Record],
    parent_heldout: list[Record],
    new: list[Record],
    fraction: float,
    minimum: int,
    curate: CurateConfig | None = None,
) -> Grown:
    known = {record.id for record in parent_train + parent_heldout}
    fresh: list[Record] = []
    for record in new:
        if record.id not in known:
            known.add(record.id)
            fresh.append(record)
    trained = {heldout_group(record) for record in parent_train}
    held = {heldout_group(record) for record in parent_heldout}
    joining = {record.id for record in fresh if heldout_group(record) in held}
    open_ = [r for r in fresh if r.id not in joining and heldout_group(r) not in trained]
    size = new_heldout_size(len(fresh), len(parent_train), len(parent_heldout), fraction, minimum)
    heldout_ids = joining | pick_heldout(open_, max(0, size - len(joining)))
    candidates = [record for record in fresh if record.id in heldout_ids]
    staying, moved = settle_heldout(
        parent_train + [record for record in fresh if record.id not in heldout_ids],
        candidates,
        curate or CurateConfig(),
    )
    held_out = {record.id for record in staying}
    added_train = [record for record in fresh if record.id not in held_out]
    return Grown(
        train=parent_train + added_train,
        heldout=parent_heldout + staying,
        added_train=added_train,
        added_heldout=staying,
        moved=moved,
        already_there=len(new) - len(fresh),
    )


def growth_numbers(grown: Grown, dropped_as_duplicates: int) -> dict[str, int]:
    return {
        "added": grown.added,
        "added_train": len(grown.added_train),
        "added_heldout": len(grown.added_heldout),
        "total": grown.total,
        "dropped_as_duplicates_of_earlier_builds": dropped_as_duplicates,
        "heldout_moved_to_train": len(grown.moved),
    }


def growth_lineage(
    build: str, parent: int | None, parent_manifest: dict[str, Any] | None, growth: dict[str, int]
) -> dict[str, Any]:
    """The manifest's lineage fields. A parent made before versions accumulated counts as one
    build that added all it holds."""
    earlier: list[dict[str, Any]] = []
    if parent_manifest is not None:
        earlier = list(parent_manifest.get("builds") or [])
        if not earlier:
            counts = parent_manifest.get("counts", {})
            held = counts.get("train", 0) + counts.get("heldout", 0)
            earlier = [{"build": parent_manifest.get("build"), "parent": None, "added": held, "total": held}]
    return {
        "parent": parent,
        "build": build,
        "growth": growth,
        "builds": [*earlier, {"build": build, "parent": parent, **growth}],
    }
