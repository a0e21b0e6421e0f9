"""The review form a paused build shows in the Prefect UI, as a pydantic model built for its
sample (the flow passes Prefect's `RunInput` as `base`; nothing here imports Prefect).

The UI renders a model's JSON schema as a form, and keeps it simple: one group of four fields
per sampled record (decision and reason as drop-downs, note and output as text boxes, the
output filled in with the record's own), then the reviewer's name and "approve the rest".
Every field has a default, so the UI accepts any combination; what the combination means is
checked afterwards (`submission_from_form`, then `decisions.check_submission`), and a form
that says something incomplete is sent back with the problem. The field names carry the
record ids, and the model refuses other names, so the server itself turns away a form about
a record that is not in the sample."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from pipeline.curate.views import input_of, instruction_of
from pipeline.errors import SeedforgeError
from pipeline.review.decisions import output_of
from pipeline.review.models import Decision, RejectReason, Submission, Verdict
from pipeline.review.sampling import Sampled

FIELD_PREFIX = "record_"
TITLE_CHARS = 90


class RecordReview(BaseModel):
    """One sampled record's fields in the form."""

    model_config = ConfigDict(extra="forbid")

    # field descriptions replace the enums' docstrings, which the UI would show otherwise
    decision: Verdict = Field(
        default=Verdict.undecided,
        title="Decision",
        description="undecided: asked again by a later review, unless you approve the rest",
    )
    reason: RejectReason = Field(
        default=RejectReason.none, title="Reason", description="Why you reject it (a rejection needs one)"
    )
    note: str = Field(default="", title="Note", description="Anything the reason does not say")
    output: str = Field(default="", title="Output", description="Change it to correct the record (an edit)")


class FormBase(BaseModel):
    """The base without Prefect: unknown field names refused, as `RunInput` refuses them."""

    model_config = ConfigDict(extra="forbid")


def field_name(record_id: str) -> str:
    return f"{FIELD_PREFIX}{record_id}"


def _short(text: str, limit: int = TITLE_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def record_title(number: int, item: Sampled) -> str:
    return f"{number}. {_short(instruction_of(item.record))}"


def record_description(item: Sampled) -> str:
    parts = [f"id {item.record.id}", f"category {item.category}", item.risk]
    given = input_of(item.record)
    if given:
        parts.insert(0, f"input: {_short(given, 200)}")
    return " · ".join(parts)


def review_form_model(
    sample: list[Sampled],
    base: type[BaseModel] = FormBase,
    *,
    previous: Mapping[str, Any] | None = None,
    problems: Mapping[str, list[str]] | None = None,
    general: str = "",
) -> type[BaseModel]:
    """A model with one `RecordReview` field per sampled record (titled with its number and
    instruction, its output as the default), `reviewer` and `approve_rest`. A form sent back
    keeps what the reviewer filled in (`previous`) and says what was refused next to each
    record (`problems`, by record id) and by the reviewer's name (`general`): the dialog's
    text above the form is not shown by every version of the UI."""
    previous, problems = previous or {}, problems or {}
    fields: dict[str, Any] = {}
    for number, item in enumerate(sample, start=1):
        name, rid = field_name(item.record.id), item.record.id
        default = RecordReview.model_validate(previous.get(name) or {})
        default.output = default.output or output_of(item.record)
        refused = "; ".join(problems.get(rid, []))
        description = record_description(item)
        fields[name] = (
            RecordReview,
            Field(
                default=default,
                title=record_title(number, item),
                description=f"REFUSED: {refused} · {description}" if refused else description,
            ),
        )
    about_name = "Your name, for the manifest"
    fields["reviewer"] = (
        str,
        Field(
            min_length=1,
            title="Reviewer",
            description=f"REFUSED, nothing applied: {general} · {about_name}" if general else about_name,
            **({"default": previous["reviewer"]} if previous.get("reviewer") else {}),
        ),
    )
    fields["approve_rest"] = (
        bool,
        Field(
            default=bool(previous.get("approve_rest", False)),
            title="Approve the rest",
            description="Accept every record left undecided",
        ),
    )
    model: type[BaseModel] = create_model("ReviewForm", __base__=base, **fields)
    return model


def submission_from_form(values: dict[str, Any], sample: list[Sampled], *, where: str = "") -> Submission:
    """What a filled form says. An output changed without choosing `edit` is an edit too (the
    change says what was meant), unless the record is rejected; records left undecided get no
    decision (approve-the-rest covers them)."""
    decisions = []
    by_field = {field_name(item.record.id): item for item in sample}
    for name, raw in values.items():
        item = by_field.get(name)
        if item is None:
            continue  # reviewer and approve_rest; unknown names are refused by the model
        answer = raw if isinstance(raw, RecordReview) else RecordReview.model_validate(raw)
        verdict = answer.decision
        # an empty output is no edit: an API caller that sends part of a record's fields gets ""
        changed = bool(answer.output.strip()) and answer.output.strip() != output_of(item.record).strip()
        if changed and verdict in (Verdict.undecided, Verdict.accept):
            verdict = Verdict.edit
        if verdict == Verdict.undecided:
            continue
        decisions.append(
            Decision(
                id=item.record.id,
                verdict=verdict,
                reason=answer.reason,
                note=answer.note.strip(),
                output=answer.output if verdict == Verdict.edit else None,
            )
        )
    reviewer = str(values.get("reviewer") or "").strip()
    if not reviewer:
        raise SeedforgeError("the form has no reviewer's name; nothing applied", path=where or "review form")
    return Submission(
        reviewer=reviewer,
        decisions=decisions,
        approve_rest=bool(values.get("approve_rest")),
        source="prefect-ui",
        where=where,
    )
