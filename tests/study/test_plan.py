from __future__ import annotations

from collections import Counter

import pytest

from pipeline.errors import SeedforgeError
from pipeline.records import AlpacaRecord, Lineage
from pipeline.study.plan import category_of, make_plan, select_categories
from tests.study.conftest import SHAPE, records


def plan(sizes: list[float], seed: int = 0, categories: list[str] | None = None):
    train = records("train", 0)
    chosen = select_categories(train, categories, "test")
    return make_plan(train, sizes, chosen, seed, dataset="d", dataset_id="x", eval_items=[])


def test_sizes_are_nested_and_stratified() -> None:
    result = plan([0.25, 0.5, 1.0])
    ids = [set(size.ids) for size in result.sizes]
    assert ids[0] < ids[1] < ids[2]
    assert [size.records for size in result.sizes] == [12, 24, 48]
    # each category keeps its share of the split: 24:16:8 = 3:2:1
    assert result.sizes[0].by_category == {"classification": 6, "math": 4, "open_qa": 2}
    assert result.sizes[2].by_category == {c: n for c, (n, _) in SHAPE.items()}


def test_the_same_seed_gives_the_same_subsets_and_another_seed_others() -> None:
    assert plan([0.25, 1.0]).sizes[0].ids == plan([0.25, 1.0]).sizes[0].ids
    assert plan([0.25, 1.0]).sizes[0].ids != plan([0.25, 1.0], seed=1).sizes[0].ids


def test_record_counts_and_shares_that_do_not_divide_evenly_stay_nested() -> None:
    result = plan([5, 11, 13, 47])
    assert [size.records for size in result.sizes] == [5, 11, 13, 47]
    for smaller, larger in zip(result.sizes, result.sizes[1:], strict=False):
        assert set(smaller.ids) < set(larger.ids)
        assert all(larger.by_category.get(c, 0) >= n for c, n in smaller.by_category.items())


def test_a_size_larger_than_the_split_is_refused() -> None:
    with pytest.raises(SeedforgeError, match="size 60 exceeds the training split"):
        plan([10, 60])


def test_sizes_that_round_to_the_same_subset_are_refused() -> None:
    with pytest.raises(SeedforgeError, match="equal size"):
        plan([0.5, 0.51])


def test_studied_categories_restrict_the_subsets() -> None:
    result = plan([0.5, 1.0], categories=["Math", "open QA"])
    assert result.categories == ["math", "open_qa"]
    assert result.sizes[-1].records == 24


def test_a_category_that_matches_no_record_names_the_ones_present() -> None:
    with pytest.raises(
        SeedforgeError, match=r"categories brainstorming match no training record.*math \(16\)"
    ):
        plan([1.0], categories=["brainstorming"])


def test_records_without_categories_are_refused_with_what_to_do() -> None:
    plain = [AlpacaRecord(instruction="a", output="b", lineage=Lineage(generator="t"))]
    with pytest.raises(SeedforgeError, match="no record carries a task category"):
        select_categories(plain, None, "v1")
    assert Counter(category_of(r) for r in plain) == {"uncategorized": 1}
