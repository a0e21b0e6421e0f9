import pytest
from pydantic import ValidationError

from pipeline.records import AlpacaRecord, DialogueRecord, Lineage, RejectedRecord, record_from_dict


def lineage() -> Lineage:
    return Lineage(generator="self_instruct", template="t", template_version="1", model="m")


def test_alpaca_id_is_content_hash() -> None:
    a = AlpacaRecord(instruction="Name a fruit.", output="Apple", lineage=lineage())
    b = AlpacaRecord(instruction="Name a fruit.", output="Apple", lineage=lineage())
    c = AlpacaRecord(instruction="Name a fruit.", output="Pear", lineage=lineage())
    assert a.id == b.id != c.id
    assert a.to_alpaca() == {"instruction": "Name a fruit.", "input": "", "output": "Apple"}


def test_dialogue_needs_two_messages_and_known_roles() -> None:
    with pytest.raises(ValidationError):
        DialogueRecord(messages=[{"role": "user", "content": "hi"}], lineage=lineage())
    with pytest.raises(ValidationError):
        DialogueRecord(
            messages=[{"role": "bot", "content": "a"}, {"role": "user", "content": "b"}], lineage=lineage()
        )
    record = record_from_dict(
        {
            "messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}],
            "lineage": lineage().model_dump(),
        }
    )
    assert isinstance(record, DialogueRecord) and record.prompt_text == "a"


def test_rejected_reason_is_a_code() -> None:
    with pytest.raises(ValidationError):
        RejectedRecord(record={}, step="filters", reason="too short")


def test_utc_now_is_the_current_second_in_iso_form() -> None:
    from datetime import UTC, datetime, timedelta

    from pipeline.records import utc_now

    before = datetime.now(UTC).replace(microsecond=0)
    stamp = datetime.fromisoformat(utc_now())
    after = datetime.now(UTC)
    assert before <= stamp <= after
    assert stamp.tzinfo is not None and stamp.utcoffset() == timedelta(0)
    assert utc_now().endswith("+00:00") and "." not in utc_now()
