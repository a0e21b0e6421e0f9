"""Records counted per task category and per category source, in the manifest of a version."""

from pathlib import Path

from pipeline.dataset.categories import UNCATEGORIZED, category_counts, category_source_counts
from pipeline.dataset.versions import write_version
from pipeline.records import AlpacaRecord, Lineage


def record(n: int, category: str | None, source: str | None) -> AlpacaRecord:
    lineage = Lineage(generator="test", category=category, category_source=source)
    return AlpacaRecord(instruction=f"Task number {n}", output=f"Answer {n}", lineage=lineage)


def test_counts_put_records_without_a_category_under_uncategorized() -> None:
    records = [record(1, "math", "seed"), record(2, "math", "classifier"), record(3, None, None)]
    assert category_counts(records) == {"math": 2, UNCATEGORIZED: 1}
    assert list(category_source_counts(records)) == ["classifier", "seed", UNCATEGORIZED]  # ties by name
    assert category_counts([]) == {}


def test_the_manifest_counts_categories_and_their_sources_per_split(tmp_path: Path) -> None:
    train = [record(1, "code", "classifier"), record(2, "code", "seed"), record(3, "math", "seed")]
    heldout = [record(4, "open_qa", "default"), record(5, None, None)]
    manifest = write_version("demo", train, heldout, [], config={}, stats={}, root=tmp_path).manifest
    assert manifest["categories"] == {
        "train": {"code": 2, "math": 1},
        "heldout": {"open_qa": 1, UNCATEGORIZED: 1},
    }
    assert manifest["category_sources"] == {
        "train": {"seed": 2, "classifier": 1},
        "heldout": {"default": 1, UNCATEGORIZED: 1},
    }
