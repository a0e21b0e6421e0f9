"""The study's plan: nested, category-stratified, seeded subsets of the train split.

Each category's records are shuffled once (seeded by the study seed and the category's name)
and every size takes a prefix of each category's order, so a larger subset always contains
every smaller one. A size's records are shared out between categories in proportion to their
share of the split (largest remainders), never fewer for a category than the smaller size gave
it. The plan is written before any training; a resumed study refuses a plan that differs.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from pathlib import Path

from pydantic import BaseModel

from pipeline.errors import SeedforgeError
from pipeline.evaluate.rubrics import canonical_category
from pipeline.records import Record

UNCATEGORIZED = "uncategorized"


def category_of(record: Record) -> str:
    category = record.lineage.category
    return canonical_category(category) if category else UNCATEGORIZED


class PlannedSize(BaseModel):
    label: str  # folder name under sizes/
    size: float  # as asked: a fraction or a count
    records: int
    by_category: dict[str, int]
    ids: list[str]


class StudyPlan(BaseModel):
    schema_version: str = "seedforge.size-study.plan/1"
    dataset: str
    dataset_id: str  # the version's content id: a plan is for exactly one version
    seed: int
    categories: list[str]
    train_records: int
    eval_items: list[str]
    sizes: list[PlannedSize]

    def identity(self) -> dict[str, object]:
        """What a resumed study must share with the one it resumes."""
        return {
            "dataset_id": self.dataset_id,
            "seed": self.seed,
            "categories": self.categories,
            "sizes": [s.size for s in self.sizes],  # the subsets follow from these and the seed
            "eval_items": self.eval_items,
        }


def _target_counts(sizes: list[float], total: int) -> list[int]:
    if all(size <= 1 for size in sizes):
        return [max(1, round(size * total)) for size in sizes]
    counts = [int(size) for size in sizes]
    if counts[-1] > total:
        raise SeedforgeError(
            f"size {counts[-1]} exceeds the training split ({total} records of the studied categories)"
        )
    return counts


def _share(target: int, available: dict[str, int], floor: dict[str, int]) -> dict[str, int]:
    """`target` records shared out in proportion to `available`, at least `floor` each."""
    total = sum(available.values())
    exact = {c: target * n / total for c, n in available.items()}
    counts = {c: min(available[c], max(floor.get(c, 0), int(exact[c]))) for c in available}
    by_remainder = sorted(available, key=lambda c: (-(exact[c] - int(exact[c])), c))
    for category in by_remainder:
        if sum(counts.values()) >= target:
            break
        if counts[category] < available[category]:
            counts[category] += 1
    return counts


def _order(records: list[Record], category: str, seed: int) -> list[Record]:
    ordered = sorted(records, key=lambda r: r.id)
    digest = hashlib.sha256(f"{seed}\x1f{category}".encode()).digest()
    random.Random(int.from_bytes(digest[:8], "big")).shuffle(ordered)
    return ordered


def select_categories(records: list[Record], wanted: list[str] | None, source: str) -> list[str]:
    """The categories studied: every category present, or the wanted ones that are present."""
    present = Counter(category_of(r) for r in records)
    if set(present) == {UNCATEGORIZED}:
        raise SeedforgeError(
            "no record carries a task category (the version was built before categories); "
            "rebuild it with generate.categorize on",
            path=source,
        )
    if not wanted:
        return sorted(present)
    chosen = [canonical_category(c) for c in wanted]
    missing = [c for c in chosen if c not in present]
    if missing:
        raise SeedforgeError(
            f"categories {', '.join(missing)} match no training record; present: "
            + ", ".join(f"{c} ({n})" for c, n in present.most_common()),
            path=source,
        )
    return chosen


def make_plan(
    train: list[Record],
    sizes: list[float],
    categories: list[str],
    seed: int,
    *,
    dataset: str,
    dataset_id: str,
    eval_items: list[str],
) -> StudyPlan:
    studied = [r for r in train if category_of(r) in categories]
    ordered = {c: _order([r for r in studied if category_of(r) == c], c, seed) for c in categories}
    available = {c: len(rs) for c, rs in ordered.items()}
    planned: list[PlannedSize] = []
    floor: dict[str, int] = {}
    for size, target in zip(sizes, _target_counts(sizes, len(studied)), strict=True):
        counts = _share(target, available, floor)
        floor = counts
        ids = [r.id for c in categories for r in ordered[c][: counts[c]]]
        planned.append(
            PlannedSize(
                label=f"n{len(ids):06d}",
                size=size,
                records=len(ids),
                by_category={c: n for c, n in counts.items() if n},
                ids=ids,
            )
        )
    labels = [p.label for p in planned]
    if len(set(labels)) != len(labels):
        raise SeedforgeError(
            f"sizes {sizes} give subsets of equal size "
            f"({', '.join(str(p.records) for p in planned)} records) "
            f"on a split of {len(studied)}: choose sizes further apart"
        )
    return StudyPlan(
        dataset=dataset,
        dataset_id=dataset_id,
        seed=seed,
        categories=categories,
        train_records=len(studied),
        eval_items=eval_items,
        sizes=planned,
    )


def check_resumable(existing: Path, plan: StudyPlan) -> None:
    """A study folder holds one plan: resuming with another dataset, seed or sizes is refused."""
    old = StudyPlan.model_validate_json(existing.read_text(encoding="utf-8"))
    if old.identity() != plan.identity():
        changed = [k for k, v in old.identity().items() if plan.identity()[k] != v]
        raise SeedforgeError(
            f"holds a study with another plan ({', '.join(changed)} differ): use a new --out",
            path=existing.parent,
        )


def records_in_subset(train: list[Record], subset_file: Path) -> list[Record]:
    """The records a subset file (a JSON list of ids) names, in the split's order; an id that
    is not in the split is an error (the file was made for another version)."""
    import json

    try:
        ids = json.loads(subset_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SeedforgeError(f"not a readable JSON list of record ids: {exc}", path=subset_file) from None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise SeedforgeError("expected a JSON list of record ids", path=subset_file)
    wanted = set(ids)
    chosen = [r for r in train if r.id in wanted]
    if len(chosen) != len(wanted):
        missing = sorted(wanted - {r.id for r in chosen})
        raise SeedforgeError(
            f"{len(missing)} record ids are not in the train split (first: {missing[0]}); "
            "the subset was made for another version",
            path=subset_file,
        )
    return chosen
