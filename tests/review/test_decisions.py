"""A submission is checked against what may be decided, then applied: rejections with reason
`human_rejected`, edits with a new id and the edit in the lineage."""

from __future__ import annotations

import pytest

from pipeline.errors import SeedforgeError
from pipeline.records import AlpacaRecord, DialogueRecord, Lineage, Message, content_hash
from pipeline.review.decisions import apply_session, check_submission, settled
from pipeline.review.models import Decision, RejectReason, ReviewSession, Submission, Verdict

A = AlpacaRecord(instruction="Name a river.", output="The Nile.", lineage=Lineage(generator="t"))
B = AlpacaRecord(instruction="Name a sea.", output="The Baltic.", lineage=Lineage(generator="t"))
C = AlpacaRecord(instruction="Name a lake.", output="Lake Baikal.", lineage=Lineage(generator="t"))
RECORDS = {r.id: r for r in (A, B, C)}


def submit(*decisions: Decision, approve_rest: bool = False) -> Submission:
    return Submission(reviewer="ann", decisions=list(decisions), approve_rest=approve_rest)


def test_every_problem_is_named_and_nothing_passes() -> None:
    bad = submit(
        Decision(id="zzz", verdict=Verdict.accept),
        Decision(id=A.id, verdict=Verdict.reject),
        Decision(id=B.id, verdict=Verdict.edit, output=" The Baltic. "),
        Decision(id=C.id, verdict=Verdict.accept),
        Decision(id=C.id, verdict=Verdict.reject, reason=RejectReason.other),
    )
    with pytest.raises(SeedforgeError) as caught:
        check_submission(bad, RECORDS, reviewed={C.id})
    message = str(caught.value)
    assert "5 problem(s), nothing applied" in message
    assert "record zzz: no such record" in message
    assert f"record {A.id}: a rejection needs a reason (wrong_answer, " in message
    assert f"record {B.id}: edit chosen but the output is unchanged" in message
    assert f"record {C.id}: decided 2 times" in message and f"record {C.id}: reviewed before" in message
    check_submission(submit(Decision(id=A.id, verdict=Verdict.accept)), RECORDS)  # a good one passes


def test_apply_rejects_edits_and_keeps_the_rest() -> None:
    decisions = settled(
        submit(
            Decision(id=A.id, verdict=Verdict.reject, reason=RejectReason.unsafe, note="medical advice"),
            Decision(id=B.id, verdict=Verdict.edit, output="The Baltic Sea.", note="full name"),
            approve_rest=True,
        ),
        [A.id, B.id, C.id],
    )
    assert [(d.id, d.verdict) for d in decisions][-1] == (C.id, Verdict.accept)
    session = ReviewSession(id="s1", dataset="d", reviewer="ann", decisions=decisions)
    applied = apply_session([A, B, C], session)
    kept_ids = [r.id for r in applied.kept]
    new_b = content_hash("Name a sea.", "", "The Baltic Sea.")
    assert kept_ids == [new_b, C.id]
    (rejection,) = applied.rejected
    assert (rejection.step, rejection.reason) == ("review", "human_rejected")
    assert rejection.evidence["review_reason"] == "unsafe" and rejection.evidence["note"] == "medical advice"
    assert rejection.evidence["reviewer"] == "ann" and rejection.evidence["session"] == "s1"
    edit = applied.kept[0].lineage.edit
    assert edit is not None and (edit.original_id, edit.original_output, edit.note) == (
        B.id,
        "The Baltic.",
        "full name",
    )
    assert session.edited_ids == {B.id: new_b} and session.rejected_texts == {A.id: "Name a river."}
    assert session.decided_ids() == {A.id, B.id, C.id, new_b}


def test_a_dialogue_edit_changes_its_last_answer() -> None:
    dialogue = DialogueRecord(
        messages=[Message(role="user", content="Hi?"), Message(role="assistant", content="Hello.")],
        lineage=Lineage(generator="kb_dialogue"),
    )
    session = ReviewSession(
        id="s2",
        dataset="d",
        reviewer="bob",
        decisions=[Decision(id=dialogue.id, verdict=Verdict.edit, output="Hi!")],
    )
    (edited,) = apply_session([dialogue], session).kept
    assert isinstance(edited, DialogueRecord) and edited.messages[-1].content == "Hi!"
    assert edited.id != dialogue.id and edited.lineage.edit is not None
