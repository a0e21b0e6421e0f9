"""Dialogues go through curation's answer checks, structure checks and PII redaction, as
self-instruct records do: unit checks on records, then through the generation loop."""

from pathlib import Path

import pytest

from pipeline.generate.dialogues.config import DialogueConfig
from pipeline.generate.dialogues.curation import DialogueCuration
from pipeline.generate.dialogues.report import curation_line
from pipeline.generate.dialogues.templates import MEDICAL_EN
from pipeline.records import AlpacaRecord, DialogueRecord, Lineage, Message
from tests.generate.dialogues.kb_chat_server import grounded_answer, kb_chat_server
from tests.generate.dialogues.test_generate import kb, pick, run  # noqa: F401 (kb: fixture)

LINEAGE = Lineage(generator="kb_dialogue", language="en")
ASK = "Doctor, I have a painful swollen big toe and it feels warm. What could be wrong?"
ANSWER = (
    "It sounds like gout, caused by uric acid crystals in the joint. A serum uric acid test will "
    "confirm it. Colchicine eases the pain; see a doctor urgently if you get a fever."
)


def single(ask: str = ASK, answer: str = ANSWER) -> AlpacaRecord:
    return AlpacaRecord(instruction=MEDICAL_EN.role_instruction, input=ask, output=answer, lineage=LINEAGE)


ASKS = (ASK, "Doctor, how is the uric acid test done?", "Doctor, what should I watch out for?")


def three_turns(*answers: str, asks: tuple[str, ...] = ASKS) -> DialogueRecord:
    messages = [Message(role="system", content=MEDICAL_EN.role_instruction)]
    for ask, answer in zip(asks, answers, strict=True):
        messages += [Message(role="user", content=ask), Message(role="assistant", content=answer)]
    return DialogueRecord(messages=messages, lineage=LINEAGE)


def test_a_clean_dialogue_is_kept_unchanged() -> None:
    record = three_turns(ANSWER, "A nurse takes a little blood from your arm.", "Watch for stomach upset.")
    curated = DialogueCuration().curate(record)
    assert curated.rejected is None and curated.record == record


def test_pii_is_redacted_in_every_message_with_typed_placeholders() -> None:
    record = three_turns(
        ANSWER,
        "Call the lab on +1 415 555 0134 to book the test.",
        "Write to clinic@example.org if your stomach hurts.",
        asks=(ASK + " My e-mail is jane.doe@example.com, ID 110101199003074514.", *ASKS[1:]),
    )
    curation = DialogueCuration()
    curated = curation.curate(record)
    assert curated.rejected is None
    texts = [m.content for m in curated.record.messages]
    assert texts[1].endswith("My e-mail is [EMAIL], ID [CN_RESIDENT_ID].")
    assert texts[4] == "Call the lab on [PHONE] to book the test."
    assert texts[6] == "Write to [EMAIL] if your stomach hurts."
    assert curated.record.id != record.id  # the id follows the content
    assert curation.figures()["pii"] == {
        "records_redacted": 1,
        "found_by_type": {"cn_resident_id": 1, "email": 2, "phone": 1},
    }


def test_a_rejected_dialogue_is_kept_without_its_pii() -> None:
    record = three_turns(
        "As an AI language model, I think it is gout; mail clinic@example.org for a serum uric acid test.",
        "A nurse takes a little blood from your arm.",
        "Watch for stomach upset.",
    )
    curation = DialogueCuration()
    curated = curation.curate(record)
    assert curated.rejected is not None
    assert "clinic@example.org" not in str(curated.rejected.record) and "[EMAIL]" in str(
        curated.rejected.record
    )
    assert curation.figures()["pii"]["records_redacted"] == 0  # the figures are of kept dialogues


def test_single_turn_records_are_redacted_too() -> None:
    curated = DialogueCuration().curate(single(ask=ASK + " Text me on +86 138 0013 8000."))
    assert isinstance(curated.record, AlpacaRecord) and curated.record.input.endswith("Text me on [PHONE].")


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (
            "As an AI language model, I think it is gout; a serum uric acid test will tell.",
            "ai_self_reference",
        ),
        ("I'm sorry, but I cannot provide medical advice about gout or colchicine.", "refusal"),
        ("It is gout. The test is serum uric acid and the medicine is colchicine, and", "truncated_output"),
        ("Gout. <|im_end|> Take colchicine after the serum uric acid test.", "template_leftover"),
        (
            "痛风是尿酸结晶沉积在关节中引起的。请做血尿酸检查，并服用秋水仙碱止痛。如果发烧请立即就医。",
            "language_mismatch",
        ),
    ],
)
def test_answer_checks_reject_single_turn_records_naming_the_field(answer: str, reason: str) -> None:
    curated = DialogueCuration().curate(single(answer=answer))
    assert curated.rejected is not None
    assert (curated.rejected.step, curated.rejected.reason) == ("output_checks", reason)
    assert curated.rejected.evidence["field"] == "output"
    assert curated.rejected.record["output"] == answer


def test_answer_checks_name_the_turn_of_a_three_turn_dialogue() -> None:
    record = three_turns(ANSWER, "As an AI language model I cannot examine you.", "Watch for stomach upset.")
    rejected = DialogueCuration().curate(record).rejected
    assert rejected is not None and rejected.step == "output_checks"
    assert rejected.reason == "ai_self_reference" and rejected.evidence["field"] == "messages[4]"
    assert record.messages[4].role == "assistant"


def test_structure_checks_for_chat_turns() -> None:
    echoing = three_turns(ANSWER, "How is the uric acid test done, doctor?", "Watch for stomach upset.")
    rejected = DialogueCuration().curate(echoing).rejected
    assert rejected is not None and rejected.step == "structure"
    assert rejected.reason == "role_confusion" and rejected.evidence["field"] == "messages[4]"
    debris = DialogueCuration().curate(single(answer=ANSWER + ' "}, {"doctor_reply": "Take rest.'))
    assert debris.rejected is not None and debris.rejected.reason == "markup_debris"


def test_prompt_leakage_is_looked_for_in_answers_not_in_dictated_questions() -> None:
    # the asking prompt says "the patient asks how the test {test} is done and what it will show"
    asked = "Doctor, could you tell me how the test serum uric acid is done and what it will show?"
    kept = DialogueCuration().curate(single(ask=asked))
    assert kept.rejected is None
    leaked = "Write the doctor's reply to the patient. Say that the likely condition is gout."
    rejected = DialogueCuration().curate(single(answer=leaked)).rejected
    assert rejected is not None and (rejected.step, rejected.reason) == ("structure", "prompt_leakage")
    assert rejected.evidence["field"] == "output"


def test_each_step_can_be_turned_off() -> None:
    refusal = single(answer="I'm sorry, but I cannot help with gout. Email me at a.b@example.com.")
    config = DialogueConfig(output_checks=False, structure_checks=False, pii=False)
    curation = DialogueCuration.from_config(config)
    assert curation.steps == []
    assert curation.curate(refusal) == curation.curate(refusal)  # nothing found, nothing changed
    assert curation.curate(refusal).record == refusal and curation.curate(refusal).rejected is None
    only_pii = DialogueCuration.from_config(DialogueConfig(output_checks=False, structure_checks=False))
    assert only_pii.steps == ["pii"]
    assert "[EMAIL]" in only_pii.curate(refusal).record.output  # type: ignore[union-attr]
    assert DialogueCuration.from_config(DialogueConfig()).steps == ["output_checks", "structure", "pii"]


def with_contact_and_refusal(key: str, body: dict) -> str:
    """The patient leaves an e-mail address; the doctor refuses for Gout, answers otherwise."""
    text = grounded_answer(key, body)
    if key == "patient_message":
        return text + " Please reply to jane.doe@example.com."
    if key == "doctor_reply" and "condition: Gout" in body["messages"][-1]["content"]:
        return "I'm sorry, but I cannot give a diagnosis. " + text
    return text


def test_the_loop_redacts_kept_dialogues_and_keeps_rejections(kb, tmp_path: Path) -> None:  # noqa: F811
    pending = pick(kb, "Influenza", "Gout")
    with kb_chat_server(with_contact_and_refusal) as server:
        result = run(server, pending, kb, tmp_path, target=2, max_attempts_per_entry=1)
    (kept,) = result.kept
    assert isinstance(kept, AlpacaRecord) and kept.input.endswith("Please reply to [EMAIL].")
    assert kept.lineage.kb_entry_id == pending[0].id
    (rejected,) = result.rejected
    assert (rejected.step, rejected.reason) == ("output_checks", "refusal")
    assert rejected.evidence == {
        "rule": "self_reference_or_refusal",
        "term": "I'm sorry, but I cannot",
        "field": "output",
    }
    assert "PII redacted in 1 dialogue(s) (email 1)" in curation_line(result.curation)
    figures = result.figures()
    assert figures["rejected"] == {"refusal": 1} and figures["rejected_by_step"] == {"output_checks": 1}
    assert figures["curation"] == {
        "steps": ["output_checks", "structure", "pii"],
        "pii": {"records_redacted": 1, "found_by_type": {"email": 1}},
    }


def test_the_loop_keeps_pii_when_turned_off(kb, tmp_path: Path) -> None:  # noqa: F811
    with kb_chat_server(with_contact_and_refusal) as server:
        result = run(server, pick(kb, "Influenza"), kb, tmp_path, target=1, pii=False)
    (kept,) = result.kept
    assert kept.input.endswith("jane.doe@example.com.")  # type: ignore[union-attr]
    assert result.figures()["curation"]["pii"] == {"records_redacted": 0, "found_by_type": {}}
