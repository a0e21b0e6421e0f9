"""What a review is made of: the verdict on one record, the fixed list of reasons a reviewer
rejects for, a submission (one reviewer's decisions on a sample) and the session stored once it
is applied."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from pipeline.records import utc_now

# the stable reason code of a record a reviewer rejected (RejectedRecord.reason); the reviewer's
# own reason is in its evidence
HUMAN_REJECTED = "human_rejected"
# RejectedRecord.step of the same
REVIEW_STEP = "review"


class Verdict(StrEnum):
    """What a reviewer decided about one record; `undecided` leaves it unreviewed (asked again
    by a later review) unless the reviewer approves the rest."""

    undecided = "undecided"
    accept = "accept"
    reject = "reject"
    edit = "edit"


class RejectReason(StrEnum):
    """Why a reviewer rejected a record: a fixed list, so reasons can be counted across builds
    and turned into suggestions (`stats.suggestions`). `none` is the form's empty choice."""

    none = "none"
    wrong_answer = "wrong_answer"  # the output is false or does not solve the task
    unhelpful = "unhelpful"  # vague, evasive, too short to be of use
    bad_instruction = "bad_instruction"  # unclear, not a task, impossible for a text model
    mismatch = "mismatch"  # the output answers something else, or ignores the input
    formatting = "formatting"  # debris, cut off, wrong language or form
    unsafe = "unsafe"  # harmful, offensive, private data
    duplicate = "duplicate"  # says what another record says
    other = "other"  # see the note


BLANK_REVIEWER = "the reviewer's name is blank (blank names are refused)"


def _named(reviewer: str) -> str:
    """The name without surrounding blanks; a name of blanks says nobody, so it is refused."""
    if not reviewer.strip():
        raise ValueError(BLANK_REVIEWER)
    return reviewer.strip()


# who decided: recorded in the manifest and every rejection's evidence
ReviewerName = Annotated[str, AfterValidator(_named)]


class Decision(BaseModel):
    """One record's verdict; `output` is the new output of an edit."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    verdict: Verdict
    reason: RejectReason = RejectReason.none
    note: str = ""
    output: str | None = None

    @field_validator("id", mode="before")
    @classmethod
    def _id_is_text(cls, value: Any) -> Any:
        # an unquoted all-digit id is a number to YAML, with its leading zeros gone: the
        # record it meant cannot be known, so the file has to say it again, quoted
        if isinstance(value, bool | int | float):
            raise ValueError(
                f"an id is text: quote it (id: '0123...'); unquoted, YAML read it as {value!r} "
                "(an all-digit id loses its leading zeros)"
            )
        return value


class Submission(BaseModel):
    """A reviewer's decisions on a sample. With `approve_rest`, every sampled record without a
    decision is accepted; without it, such records stay unreviewed."""

    model_config = ConfigDict(extra="forbid")

    reviewer: ReviewerName
    decisions: list[Decision] = Field(default_factory=list)
    approve_rest: bool = False
    source: str = "cli"  # "prefect-ui", "cli" or "file": how the decisions were made
    where: str = ""  # the flow run (UI), or the decision file


SessionStatus = Literal["applied", "applying", "timed_out"]


class SampledRecord(BaseModel):
    """A sampled record as a session remembers it: which stratum it was drawn from."""

    id: str
    category: str
    risk: str
    score: int | None = None


class ReviewSession(BaseModel):
    """A review as applied (DATA_DIR/review/NAME/sessions/ID.json): one per reviewed build, one
    per `seedforge review`. `decisions` holds the explicit ones and, with approve-the-rest, an
    `accept` for each record it approved."""

    id: str
    dataset: str
    build: str | None = None  # the build it reviewed (the flow's gate)
    version: int | None = None  # the version it sampled from (`seedforge review`)
    result_version: int | None = None  # the version that holds its effects
    status: SessionStatus = "applied"
    reviewer: str = ""
    source: str = ""
    where: str = ""
    approve_rest: bool = False
    decided_at: str = Field(default_factory=utc_now)
    sampled: list[SampledRecord] = Field(default_factory=list)
    decisions: list[Decision] = Field(default_factory=list)
    # edited records: old id -> new id (an id is the hash of the record's text)
    edited_ids: dict[str, str] = Field(default_factory=dict)
    # rejected records' texts, so later reports can look for what they share
    rejected_texts: dict[str, str] = Field(default_factory=dict)

    def by_verdict(self, verdict: Verdict) -> list[Decision]:
        return [decision for decision in self.decisions if decision.verdict == verdict]

    def decided_ids(self) -> set[str]:
        """Every record this session settled, under its old and (edited) new id."""
        return {decision.id for decision in self.decisions} | set(self.edited_ids.values())

    def shown_ids(self) -> set[str]:
        """Every record this session sampled or settled: the rest of the records nobody read."""
        return self.decided_ids() | {item.id for item in self.sampled}

    def manifest(self) -> dict[str, Any]:
        """Who reviewed what and when, as a version's manifest records it."""
        decided = {decision.id for decision in self.decisions}
        return {
            "session": self.id,
            "status": self.status,
            "reviewer": self.reviewer,
            "source": self.source,
            "where": self.where,
            "decided_at": self.decided_at,
            "approve_rest": self.approve_rest,
            "sampled": [item.model_dump() for item in self.sampled],
            "accepted": [d.id for d in self.by_verdict(Verdict.accept)],
            "rejected": [
                {"id": d.id, "reason": d.reason.value, "note": d.note}
                for d in self.by_verdict(Verdict.reject)
            ],
            "edited": [
                {"id": d.id, "new_id": self.edited_ids.get(d.id), "note": d.note}
                for d in self.by_verdict(Verdict.edit)
            ],
            "undecided": [item.id for item in self.sampled if item.id not in decided],
        }
