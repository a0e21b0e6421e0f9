"""Records counted by task category and by who assigned it (`Lineage.category`,
`Lineage.category_source`; see `pipeline.generate.categories`), for manifests and reports.
Records made before categories existed, or by a stage that sets none, count as
`uncategorized`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from pipeline.records import Record

UNCATEGORIZED = "uncategorized"


def category_of(record: Record) -> str:
    return record.lineage.category or UNCATEGORIZED


def category_counts(records: Iterable[Record]) -> dict[str, int]:
    """Records per category, most first (ties by name, so the order is stable)."""
    counts = Counter(category_of(record) for record in records)
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def category_source_counts(records: Iterable[Record]) -> dict[str, int]:
    """Records per category source (seed, classifier, kb, default), most first."""
    counts = Counter(record.lineage.category_source or UNCATEGORIZED for record in records)
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def split_categories(train: list[Record], heldout: list[Record]) -> dict[str, dict[str, int]]:
    """The manifest's `categories`: records per category in each split."""
    return {"train": category_counts(train), "heldout": category_counts(heldout)}


def split_category_sources(train: list[Record], heldout: list[Record]) -> dict[str, dict[str, int]]:
    """The manifest's `category_sources`: records per category source in each split."""
    return {"train": category_source_counts(train), "heldout": category_source_counts(heldout)}
