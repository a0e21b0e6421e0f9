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
