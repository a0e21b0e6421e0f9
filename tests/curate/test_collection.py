import gc
import weakref

import pytest

from pipeline.curate.collection import PacedCollection


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


def _cycle() -> weakref.ref[_Node]:
    node = _Node()
    return weakref.ref(node)


def test_a_cycle_is_freed_on_the_tick_that_completes_the_pace() -> None:
    with PacedCollection(every=3) as paced:
        alive = _cycle()
        paced.tick()
        paced.tick()
        assert alive() is not None  # the automatic collector is off in the block
        paced.tick()
        assert alive() is None
        assert paced.collections == 1


def test_the_collector_is_restored_as_it_was_also_after_an_error() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError), PacedCollection(every=10):
        assert not gc.isenabled()
        raise RuntimeError("boom")
    assert gc.isenabled()
    gc.disable()
    try:
        with PacedCollection(every=10):
            pass
        assert not gc.isenabled()  # a caller that had it off keeps it off
    finally:
        gc.enable()


def test_a_pace_below_one_record_is_refused() -> None:
    with pytest.raises(ValueError, match="every >= 1"):
        PacedCollection(every=0)


def test_survivors_are_frozen_between_collections_and_thawed_after() -> None:
    with PacedCollection(every=2) as paced:
        survivor = [_Node()]  # noqa: F841  # alive across the collection
        paced.tick()
        paced.tick()
        assert gc.get_freeze_count() > 0
        later = _cycle()
        paced.tick()
        paced.tick()
        assert later() is None  # made after the freeze: the next collection still frees it
    assert gc.get_freeze_count() == 0


def test_objects_frozen_by_someone_else_stay_frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(gc, "get_freeze_count", lambda: 1000)  # someone froze their objects
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    monkeypatch.setattr(gc, "unfreeze", lambda: calls.append("unfreeze"))
    with PacedCollection(every=1) as paced:
        paced.tick()
    assert calls == []  # neither frozen more nor thawed: theirs stay as they were
