import math

import pytest

from pipeline.dataset.growth import grow, growth_lineage, growth_numbers, new_heldout_size
from pipeline.dataset.versions import split_heldout
from pipeline.records import AlpacaRecord, Lineage

WORDS = "amber basil cedar dune ember fjord grove heath iris jade kelp lotus moss nectar opal pine".split()


def records(start: int, n: int) -> list[AlpacaRecord]:
    """Far apart under ROUGE-L: each instruction is its own four words."""
    return [
        AlpacaRecord(
            instruction=" ".join(WORDS[(i * 7 + k * 3) % len(WORDS)] + str(i) for k in range(4)),
            output=f"Answer {i}",
            lineage=Lineage(generator="test", build=f"b{start}"),
        )
        for i in range(start, start + n)
    ]


def test_a_first_build_splits_as_split_heldout_does() -> None:
    new = records(0, 20)
    grown = grow([], [], new, 0.2, 2)
    train, heldout = split_heldout(new, 0.2, 2)
    assert [r.id for r in grown.train] == [r.id for r in train]
    assert [r.id for r in grown.heldout] == [r.id for r in heldout]
    assert grown.added == 20 and grown.total == 20


def test_old_records_keep_their_split_and_only_new_ones_are_split() -> None:
    first = grow([], [], records(0, 20), 0.2, 4)
    second = grow(first.train, first.heldout, records(100, 20), 0.2, 4)
    assert second.train[: len(first.train)] == first.train
    assert second.heldout[: len(first.heldout)] == first.heldout
    assert second.added == 20 and second.total == 40
    assert len(second.heldout) == math.ceil(0.2 * 40)  # the whole version stays near the fraction
    assert not {r.id for r in second.train} & {r.id for r in second.heldout}


def test_records_the_parent_holds_are_not_added_again() -> None:
    first = grow([], [], records(0, 10), 0.2, 2)
    again = grow(first.train, first.heldout, records(0, 10) + records(50, 2), 0.2, 2)
    assert again.added == 2 and again.already_there == 10


@pytest.mark.parametrize(
    ("new", "train", "heldout", "expected"),
    [
        (20, 0, 0, 4),  # a first build: max(minimum, ceil(fraction * n)), n - 1 at most
        (2, 0, 0, 1),
        (1, 0, 0, 0),
        (10, 16, 4, 2),  # ceil(0.2 * 30) = 6 held out in all, 4 already
        (1, 16, 4, 1),
        (5, 100, 40, 0),  # already past the fraction
        (3, 3, 0, 3),  # the minimum of 4 not yet reached: every new record
    ],
)
def test_new_heldout_size(new: int, train: int, heldout: int, expected: int) -> None:
    assert new_heldout_size(new, train, heldout, 0.2, 4) == expected


def test_lineage_lists_every_build_and_a_parent_from_before_builds_counts_as_one() -> None:
    grown = grow([], [], records(0, 5), 0.2, 1)
    growth = growth_numbers(grown, dropped_as_duplicates=3)
    legacy = {"counts": {"train": 8, "heldout": 2}}
    lineage = growth_lineage("b2", 1, legacy, growth)
    assert lineage["parent"] == 1 and lineage["build"] == "b2"
    assert lineage["growth"]["dropped_as_duplicates_of_earlier_builds"] == 3
    assert [(b["build"], b["added"]) for b in lineage["builds"]] == [(None, 10), ("b2", 5)]
    chained = growth_lineage("b3", 2, {"builds": lineage["builds"]}, growth)
    assert [b["build"] for b in chained["builds"]] == [None, "b2", "b3"]


def test_new_instances_join_their_tasks_split_and_new_tasks_split_whole() -> None:
    def instance(task: str, k: int) -> AlpacaRecord:
        return AlpacaRecord(instruction=task, input=f"case {k}", output="ok", lineage=Lineage(generator="t"))

    first = grow([], [], records(0, 10), 0.2, 2)
    held, trained = first.heldout[0].instruction, first.train[0].instruction
    fresh_task = "Describe the water cycle for a child."
    new = [instance(held, 1), instance(trained, 1), instance(fresh_task, 1), instance(fresh_task, 2)]
    second = grow(first.train, first.heldout, new, 0.2, 2)
    assert new[0] in second.added_heldout and new[1] in second.added_train
    assert not second.moved and second.added == 4
    fresh_split = {r in second.added_heldout for r in new[2:]}
    assert len(fresh_split) == 1  # the new task's two instances went to one split


def test_a_task_split_for_lack_of_room_trains_its_near_instances_so_every_new_record_is_added() -> None:
    def instance(k: int) -> AlpacaRecord:
        return AlpacaRecord(
            instruction="Summarise the paragraph in one sentence.",
            input=f"paragraph {k}",
            output="ok",
            lineage=Lineage(generator="t"),
        )

    first = grow([], [], records(0, 8), 0.2, 2)
    new = [instance(k) for k in range(6)]  # one task, larger than the held-out room
    second = grow(first.train, first.heldout, new, 0.2, 2)
    assert second.added == 6 and second.total == 14
    assert second.moved and {hit.item_id for hit in second.moved} <= {r.id for r in second.added_train}
    assert not {r.id for r in new} & {r.id for r in second.heldout}
    assert growth_numbers(second, 0)["heldout_moved_to_train"] == len(second.moved)
