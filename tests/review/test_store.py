"""What reviewers decided sticks in the data directory, and nothing is applied twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import SeedforgeError
from pipeline.review.models import Decision, ReviewSession, Verdict
from pipeline.review.store import ReviewStore


def session(sid: str, *ids: str, status: str = "applied") -> ReviewSession:
    return ReviewSession(
        id=sid,
        dataset="d",
        reviewer="ann",
        status=status,  # type: ignore[arg-type]
        decisions=[Decision(id=rid, verdict=Verdict.accept) for rid in ids],
    )


def test_sessions_are_remembered_and_never_applied_twice(data_dir: Path) -> None:
    store = ReviewStore("d")
    store.record(session("s1", "a", "b"))
    assert ReviewStore("d").reviewed() == {"a": "s1", "b": "s1"}
    assert (data_dir / "review" / "d" / "sessions" / "s1.json").is_file()
    with pytest.raises(SeedforgeError, match="review s1 was applied already"):
        store.record(session("s1", "c"))
    with pytest.raises(SeedforgeError, match=r"1 record\(s\) were reviewed already: b \(review s1\)"):
        store.record(session("s2", "b", "c"))
    assert store.reviewed_ids() == {"a", "b"}


def test_a_session_left_applying_is_taken_over_by_the_same_decisions(data_dir: Path) -> None:
    store = ReviewStore("d")
    store.record(session("s3", "x", status="applying"))
    store.record(session("s3", "x"))  # the same session id: the command that died, rerun
    assert store.get("s3").status == "applied"
    store.forget("s3")
    assert store.sessions() == []


def test_an_unreadable_session_names_its_file(data_dir: Path) -> None:
    folder = data_dir / "review" / "d" / "sessions"
    folder.mkdir(parents=True)
    (folder / "broken.json").write_text("{", encoding="utf-8")
    with pytest.raises(SeedforgeError, match="broken.json: unreadable review session"):
        ReviewStore("d").sessions()
