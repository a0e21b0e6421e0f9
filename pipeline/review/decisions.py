"""A reviewer's decisions checked against what they may decide about, then applied to records.

Applying is a plain function of the records and a session, so a build resumed after a crash
applies a stored session again and gets the same version: a rejected record becomes a
`RejectedRecord` (step `review`, reason `human_rejected`, the reviewer's reason and note in the
evidence); an edited record gets its new output, a new id (ids are hashes of the text) and the
edit in its lineage (`Lineage.edit`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Set
from dataclasses import dataclass, field

from pipeline.curate.views import answers_of, instruction_of, with_texts
from pipeline.errors import SeedforgeError
from pipeline.records import Record, RejectedRecord, ReviewEdit, record_from_dict
from pipeline.review.models import (
    HUMAN_REJECTED,
    REVIEW_STEP,
    Decision,
    RejectReason,
    ReviewSession,
    Submission,
    Verdict,
)


def output_of(record: Record) -> str:
    """The text a reviewer may edit: an Alpaca record's output, a dialogue's last answer."""
    answers = answers_of(record)
    return answers[-1].text if answers else ""


def with_output(record: Record, output: str, edit: ReviewEdit) -> Record:
    answers = answers_of(record)
    edited = with_texts(record, {answers[-1].field: output})
    edited.lineage = edited.lineage.model_copy(update={"edit": edit})
    return edited


class SubmissionRefused(SeedforgeError):
    """A submission with problems; `problems` maps a record id to what is wrong with its
    decision, so a form can show each next to its record."""

    def __init__(self, problems: dict[str, list[str]], where: str):
        self.problems = problems
        listed = [f"record {rid}: {text}" for rid, texts in problems.items() for text in texts]
        super().__init__(f"{len(listed)} problem(s), nothing applied: " + "; ".join(listed), path=where)


def check_submission(
    submission: Submission,
    records: dict[str, Record],
    *,
    reviewed: Set[str] = frozenset(),
    where: str = "review",
) -> None:
    """Refuse (SubmissionRefused), naming each problem, a submission that decides about a
    record it may not (not in `records`, or reviewed before) or that says something
    incomplete: a rejection without a reason, an edit that changes nothing, two decisions
    about one record."""
    problems: dict[str, list[str]] = {}

    def problem(rid: str, text: str) -> None:
        if text not in problems.setdefault(rid, []):  # a record decided twice: each problem once
            problems[rid].append(text)

    for rid, n in Counter(decision.id for decision in submission.decisions).items():
        if n > 1:
            problem(rid, f"decided {n} times")
    for decision in submission.decisions:
        rid = decision.id
        if rid not in records:
            problem(rid, "no such record in this review")
            continue
        if rid in reviewed:
            problem(rid, "reviewed before (never asked, never applied twice)")
        if decision.verdict == Verdict.reject and decision.reason == RejectReason.none:
            problem(rid, f"a rejection needs a reason ({reason_choices()})")
        if decision.verdict == Verdict.edit:
            new = (decision.output or "").strip()
            if not new:
                problem(rid, "an edit needs the new output")
            elif new == output_of(records[rid]).strip():
                problem(rid, "edit chosen but the output is unchanged")
    if problems:
        raise SubmissionRefused(problems, where)


def reason_choices() -> str:
    return ", ".join(reason.value for reason in RejectReason if reason != RejectReason.none)


def settled(submission: Submission, sampled: list[str]) -> list[Decision]:
    """The explicit decisions without `undecided` ones, plus an `accept` for every sampled
    record left undecided when the reviewer approved the rest."""
    decisions = [d for d in submission.decisions if d.verdict != Verdict.undecided]
    if submission.approve_rest:
        decided = {d.id for d in decisions}
        decisions += [Decision(id=rid, verdict=Verdict.accept) for rid in sampled if rid not in decided]
    return decisions


@dataclass
class Applied:
    """Records after a session: the kept (edited ones replaced in place), the rejected."""

    kept: list[Record] = field(default_factory=list)
    rejected: list[RejectedRecord] = field(default_factory=list)
    edited: list[Record] = field(default_factory=list)


def apply_session(records: list[Record], session: ReviewSession) -> Applied:
    """`records` with the session's rejections taken out and its edits made; records it did
    not decide about pass unchanged. Fills `session.edited_ids` and `session.rejected_texts`
    (the rejected records' instructions)."""
    by_id = {decision.id: decision for decision in session.decisions}
    applied = Applied()
    for record in records:
        decision = by_id.get(record.id)
        if decision is None or decision.verdict == Verdict.accept:
            applied.kept.append(record)
        elif decision.verdict == Verdict.reject:
            applied.rejected.append(rejection(record, decision, session))
            session.rejected_texts[record.id] = instruction_of(record)
        elif decision.verdict == Verdict.edit:
            edit = ReviewEdit(
                original_output=output_of(record),
                original_id=record.id,
                reviewer=session.reviewer,
                note=decision.note,
                session=session.id,
                at=session.decided_at,
            )
            edited = with_output(record, decision.output or "", edit)
            session.edited_ids[record.id] = edited.id
            applied.kept.append(edited)
            applied.edited.append(edited)
    return applied


def rejection(record: Record, decision: Decision, session: ReviewSession) -> RejectedRecord:
    return RejectedRecord(
        record=record.model_dump(mode="json"),
        step=REVIEW_STEP,
        reason=HUMAN_REJECTED,
        evidence={
            "review_reason": decision.reason.value,
            "note": decision.note,
            "reviewer": session.reviewer,
            "session": session.id,
            "decided_at": session.decided_at,
        },
    )


def rejected_by_review(rejected: list[RejectedRecord]) -> list[Record]:
    """The records reviewers rejected, for the curation index: their texts stay known so a
    later build cannot bring them back as near-duplicates."""
    return [record_from_dict(item.record) for item in rejected if item.step == REVIEW_STEP]
