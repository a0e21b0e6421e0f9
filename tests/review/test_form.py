"""The form the Prefect UI renders: one group per sampled record, defaults everywhere, and a
schema the server uses to turn away a form about a record outside the sample."""

from __future__ import annotations

import pytest

from pipeline.errors import SeedforgeError
from pipeline.records import AlpacaRecord, Lineage
from pipeline.review.form import FormBase, field_name, review_form_model, submission_from_form
from pipeline.review.models import RejectReason, Verdict
from pipeline.review.sampling import UNSCORED, Sampled

RECORDS = [
    AlpacaRecord(instruction="Name a river.", output="The Nile.", lineage=Lineage(generator="t")),
    AlpacaRecord(instruction="Add 2 and 3.", input="2, 3", output="6", lineage=Lineage(generator="t")),
    AlpacaRecord(instruction="Name a sea.", output="The Baltic.", lineage=Lineage(generator="t")),
]
SAMPLE = [Sampled(r, "qa", UNSCORED, None) for r in RECORDS]


def test_the_form_has_a_group_per_record_with_its_output_filled_in() -> None:
    form = review_form_model(SAMPLE)
    schema = form.model_json_schema()
    assert schema["additionalProperties"] is False
    names = list(schema["properties"])
    assert names == [field_name(r.id) for r in RECORDS] + ["reviewer", "approve_rest"]
    first = schema["properties"][field_name(RECORDS[1].id)]
    assert first["title"] == "2. Add 2 and 3."
    assert first["default"] == {"decision": "undecided", "reason": "none", "note": "", "output": "6"}
    assert "input: 2, 3" in first["description"] and RECORDS[1].id in first["description"]
    assert schema["required"] == ["reviewer"]
    defs = schema["$defs"]
    assert defs["Verdict"]["enum"] == [v.value for v in Verdict]
    assert defs["RejectReason"]["enum"][0] == "none" and "wrong_answer" in defs["RejectReason"]["enum"]


def test_prefect_s_schema_refuses_a_record_outside_the_sample() -> None:
    from prefect._internal.pydantic.v2_schema import create_v2_schema
    from prefect.input import RunInput
    from prefect.utilities.schema_tools import ValidationError, validate

    form = review_form_model(SAMPLE, base=RunInput)
    schema = create_v2_schema(form.__name__, model_base=form)
    validate(
        {"reviewer": "ann", field_name(RECORDS[0].id): {"decision": "reject"}}, schema, raise_on_error=True
    )
    with pytest.raises(ValidationError, match="Additional properties"):
        validate({"reviewer": "ann", field_name("0000"): {"decision": "accept"}}, schema, raise_on_error=True)
    with pytest.raises(ValidationError):
        validate(
            {"reviewer": "ann", field_name(RECORDS[0].id): {"decision": "maybe"}}, schema, raise_on_error=True
        )


def test_what_a_filled_form_means() -> None:
    values = review_form_model(SAMPLE)(
        reviewer=" ann ",
        approve_rest=True,
        **{
            field_name(RECORDS[0].id): {"decision": "reject", "reason": "wrong_answer", "note": " no "},
            field_name(RECORDS[1].id): {"decision": "undecided", "output": "5"},  # changed: an edit
        },
    ).model_dump()
    submission = submission_from_form(values, SAMPLE, where="run x")
    assert submission.reviewer == "ann" and submission.approve_rest and submission.source == "prefect-ui"
    reject, edit = submission.decisions
    assert (reject.verdict, reject.reason, reject.note) == (Verdict.reject, RejectReason.wrong_answer, "no")
    assert (edit.id, edit.verdict, edit.output) == (RECORDS[1].id, Verdict.edit, "5")
    with pytest.raises(SeedforgeError, match="no reviewer's name"):
        submission_from_form({"reviewer": "  "}, SAMPLE)
    assert issubclass(review_form_model(SAMPLE), FormBase)


def test_a_refused_form_comes_back_filled_in_with_its_problems() -> None:
    previous = {
        field_name(RECORDS[0].id): {"decision": "reject", "reason": "none", "note": "hm", "output": ""},
        "reviewer": "ann",
        "approve_rest": True,
    }
    form = review_form_model(
        SAMPLE, previous=previous, problems={RECORDS[0].id: ["a rejection needs a reason"]}, general=""
    )
    schema = form.model_json_schema()["properties"]
    first = schema[field_name(RECORDS[0].id)]
    assert first["description"].startswith("REFUSED: a rejection needs a reason · id ")
    # what was filled in stays; an output sent empty is the record's own again
    assert first["default"] == {"decision": "reject", "reason": "none", "note": "hm", "output": "The Nile."}
    assert schema["reviewer"]["default"] == "ann" and schema["approve_rest"]["default"] is True
    named = review_form_model(SAMPLE, general="the form has no reviewer's name").model_json_schema()
    assert named["properties"]["reviewer"]["description"].startswith("REFUSED, nothing applied: the form has")


def test_an_empty_output_is_no_edit() -> None:
    values = {"reviewer": "ann", field_name(RECORDS[0].id): {"decision": "undecided", "output": ""}}
    assert submission_from_form(values, SAMPLE).decisions == []
