"""What one side's answer means for its dialogue: the turn text, or why there is none."""

from pathlib import Path

from pipeline.generate.dialogues.templates import MEDICAL_EN
from pipeline.generate.dialogues.turns import DialogueDraft, DialoguePlan, TurnStep, TurnText, turn_text
from pipeline.kb.loaders import load_entries
from pipeline.kb.mapping import MappingFile
from pipeline.llm.request import ChatResult
from pipeline.llm.step import Rejection

SEEDS = Path(__file__).resolve().parents[3] / "seeds" / "kb"


def test_turn_text_reads_json_or_plain_prose() -> None:
    note = {"doctor_reply": " It is flu. ", "safety_note": "See a doctor if worse."}
    assert turn_text(note, "", "doctor_reply", "safety_note") == "It is flu. See a doctor if worse."
    assert turn_text({"other": "x"}, '{"other": "x"}', "doctor_reply") is None
    assert turn_text(None, "  I have a fever.  ", "patient_message") == "I have a fever."
    assert turn_text(None, '{"patient_message": "cut', "patient_message") is None


def test_answers_become_turns_or_rejections() -> None:
    entry = load_entries(SEEDS / "medical_conditions.csv", MappingFile())[0]
    draft = DialogueDraft(DialoguePlan(entry, 0, MEDICAL_EN))
    step = TurnStep(0, "ask")
    (request,) = step.requests([draft])
    assert step.name == "dialogue_ask" and request.json_schema["required"] == ["patient_message"]
    said = step.parse(draft, ChatResult(request, "key", '{"patient_message": "My head hurts."}', "stop"))
    assert said == TurnText("My head hurts.", "key", "stop")
    cut = step.parse(draft, ChatResult(request, "key", '{"other": "x"}', "length"))
    assert cut == Rejection("truncated", {"turn": 1, "side": "ask", "text": '{"other": "x"}'})
    failed = step.parse(draft, ChatResult(request, "key", None, error="HTTP 503", reason="http_503"))
    assert failed == Rejection("quarantined", {"turn": 1, "side": "ask", "error": "HTTP 503"})


def test_a_field_cut_at_the_schema_maximum_is_found() -> None:
    """The grammar closes a string at its maxLength and the server says `stop`: a safety note
    ending '… diabetes. However, I' was kept as a whole answer."""
    from pipeline.generate.dialogues.turns import cut_by_schema

    limits = [("answer", 10, 40), ("safety_note", 10, 30)]
    cut = {"answer": "Rest and drink water.", "safety_note": "See a doctor if it gets worse, I"}
    assert len(cut["safety_note"]) >= 30 and cut_by_schema(cut, limits) == "safety_note"
    whole = {"answer": "Rest and drink water.", "safety_note": "See a doctor if it gets worse."}
    assert cut_by_schema(whole, limits) is None  # at the maximum, but a sentence's end
    chinese = {
        "answer": "多喝水，注意休息，如果症状加重请及时就医，并且记得按时服用医生开具的药物以及",
        "safety_note": "如有不适请立即就医。",
    }
    assert cut_by_schema(chinese, [("answer", 5, 30), ("safety_note", 5, 30)]) == "answer"
    assert cut_by_schema("plain text", limits) is None
