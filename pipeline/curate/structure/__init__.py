"""Structural checks: what a reader sees at a glance is not usable training data, found without
a model (English and Chinese). Each is a rule with a stable reason code and its evidence:

  prompt_leakage     the generation prompt, or talk about it, inside a field
  markup_debris      JSON seams, stray braces and quotes, HTML tags, literal "\\n"
  fragment           an instruction that starts or ends in the middle of a sentence
  missing_input      an instruction pointing at material the record lacks ("Summarize the
                     following article." with no input, or over a scrap of five words)
  not_a_task         an instruction that neither requests nor asks anything (a statement)
  list_continuation  one numbered list dealt out over the instruction, input and output
  role_confusion     an output that restates or carries on the input, speaks as its speaker,
                     or asks the task back
  cut_output         an output stopping mid-word, mid-sentence or short of the items it announced
  wrong_answer_type  a label for writing, prose for a label, no code / number / yes-no /
                     translation where one is asked
  chat_rules         a dialogue no chat consumer accepts: not user and assistant alternating
                     from the user, or not ending with the assistant's answer

Dialogues get the checks that apply to chat turns (chat rules, leakage, debris, role confusion,
cuts)."""

from __future__ import annotations

from pipeline.chat_rules import chat_problem
from pipeline.curate.config import StructureConfig
from pipeline.curate.language import detect, names_language
from pipeline.curate.structure.answers import cut_short, unrelated, wrong_type
from pipeline.curate.structure.asks import reading
from pipeline.curate.structure.debris import debris, is_json
from pipeline.curate.structure.fragments import fragment
from pipeline.curate.structure.inputs import missing_input
from pipeline.curate.structure.leakage import leaked, talk_about_the_task
from pipeline.curate.structure.lists import list_continuation
from pipeline.curate.structure.roles import role_confusion
from pipeline.curate.structure.task_form import not_a_task
from pipeline.curate.verdict import Rule, Verdict, first_violation
from pipeline.curate.views import answers_of, input_of, instruction_of, is_chinese, text_fields
from pipeline.records import AlpacaRecord, DialogueRecord, Record

CLASSIFICATION_TEMPLATE = "class_instances"  # in the template name of classification records
_LANGUAGES = ("en", "zh", "fr", "de", "es", "it", "pt", "ja", "ko", "ru")


def is_classification(record: Record) -> bool:
    return CLASSIFICATION_TEMPLATE in (record.lineage.template or "")


def _chat_rules(record: Record, config: StructureConfig) -> Verdict | None:
    """What `seedforge export` and every chat consumer would refuse, dropped here instead."""
    if not (config.chat_rules and isinstance(record, DialogueRecord)):
        return None
    problem = chat_problem([m.model_dump() for m in record.messages])
    return Verdict("chat_rules", {"field": "messages", "term": problem}) if problem else None


def _leakage(record: Record, config: StructureConfig) -> Verdict | None:
    if not config.prompt_leakage:
        return None
    for field, text in text_fields(record):
        words = leaked(text, instruction=field == "instruction")
        if words and not (field == "instruction" and _obeyed(words, record)):
            return Verdict("prompt_leakage", {"field": field, "term": words})
    task = instruction_of(record)
    for answer in answers_of(record):
        words = talk_about_the_task(answer.text, task)
        if words:
            return Verdict("prompt_leakage", {"field": answer.field, "term": words})
    return None


def _obeyed(words: str, record: Record) -> bool:
    """A JSON format instruction the answer follows ("Answer in JSON with one key…" answered in
    JSON) is the task's own, not a leak."""
    answers = answers_of(record)
    asks_json = "json" in words.lower() or "json" in instruction_of(record).lower()
    return asks_json and bool(answers) and is_json(answers[-1].text)


def _debris(record: Record, config: StructureConfig) -> Verdict | None:
    if not config.markup_debris:
        return None
    asks = reading(instruction_of(record), is_classification(record))
    for field, text in text_fields(record):
        found = debris(text, asks.markup)
        if found:
            return Verdict("markup_debris", {"field": field, "term": found})
    return None


def _fragment(record: Record, config: StructureConfig) -> Verdict | None:
    if not (config.fragments and isinstance(record, AlpacaRecord)):
        return None
    why = fragment(record.instruction, bool(record.input.strip()), is_chinese(record))
    return Verdict("fragment", {"field": "instruction", "term": why}) if why else None


def _missing_input(record: Record, config: StructureConfig) -> Verdict | None:
    if not (config.missing_input and isinstance(record, AlpacaRecord)):
        return None
    why = missing_input(record.instruction, record.input, is_chinese(record))
    return Verdict("missing_input", {"field": "input", "term": why}) if why else None


def _task_form(record: Record, config: StructureConfig) -> Verdict | None:
    if not (config.task_form and isinstance(record, AlpacaRecord)):
        return None
    why = not_a_task(record.instruction, is_chinese(record))
    return Verdict("not_a_task", {"field": "instruction", "term": why}) if why else None


_RUN_LANGUAGE_KNOWN = ("self_instruct", "labelled")  # generators that write in the run's language


def _instruction_language(record: Record, config: StructureConfig) -> Verdict | None:
    """A task in another language than the run's ("Lire la légion de la femme" in an English run)."""
    if not (config.task_form and isinstance(record, AlpacaRecord)):
        return None
    if record.lineage.generator not in _RUN_LANGUAGE_KNOWN:
        return None  # imported records say "en" by default: their language is not known
    said = detect(record.instruction, _LANGUAGES, 12)
    expected = record.lineage.language
    if (
        said is None
        or said.code == expected
        or said.confidence < 0.8
        or names_language(record.instruction, said.code)
    ):
        return None
    found = {"expected": expected, "found": said.code, "confidence": round(said.confidence, 3)}
    return Verdict("not_a_task", {"field": "instruction", "term": "written in another language", **found})


def _list_continuation(record: Record, config: StructureConfig) -> Verdict | None:
    if not (config.list_continuation and isinstance(record, AlpacaRecord)):
        return None
    fields = [("instruction", record.instruction), ("input", record.input), ("output", record.output)]
    asks = reading(record.instruction, is_classification(record))
    keeps_form = asks.copy_allowed or asks.translation_to is not None
    found = list_continuation(
        [(name, text) for name, text in fields if text.strip()], asks.continues, keeps_form
    )
    return Verdict("list_continuation", found) if found else None


def _role_confusion(record: Record, config: StructureConfig) -> Verdict | None:
    if not config.role_confusion:
        return None
    asks = reading(instruction_of(record), is_classification(record))
    for answer in answers_of(record):
        given = input_of(record) if isinstance(record, AlpacaRecord) else answer.asked
        instruction = instruction_of(record) if isinstance(record, AlpacaRecord) else ""
        found = role_confusion(instruction, given, answer.text, asks)
        if found:
            return Verdict("role_confusion", {"field": answer.field, **found})
    return None


def _cut(record: Record, config: StructureConfig) -> Verdict | None:
    if not config.cut_output:
        return None
    asks = reading(instruction_of(record), is_classification(record))
    given = input_of(record).strip()
    if given.endswith(("...", "…")) and len(given.split()) <= 8 and not given.startswith(("...", "…")):
        return Verdict("cut_output", {"field": "input", "term": f"a placeholder for an input: {given!r}"})
    for answer in answers_of(record):
        why = cut_short(answer.text, asks, given if isinstance(record, AlpacaRecord) else "")
        if why:
            return Verdict("cut_output", {"field": answer.field, "term": why})
    return None


def _answer_type(record: Record, config: StructureConfig) -> Verdict | None:
    if not (config.answer_type and isinstance(record, AlpacaRecord)):
        return None
    asks = reading(record.instruction, is_classification(record))
    found = wrong_type(asks, record.instruction, record.input, record.output) or unrelated(
        asks, record.input, record.output
    )
    return Verdict("wrong_answer_type", {"field": "output", **found}) if found else None


STRUCTURE_RULES: tuple[Rule[StructureConfig], ...] = (
    Rule("chat_rules", _chat_rules),
    Rule("prompt_leakage", _leakage),
    Rule("markup_debris", _debris),
    Rule("fragment", _fragment),
    Rule("missing_input", _missing_input),
    Rule("task_form", _task_form),
    Rule("instruction_language", _instruction_language),
    Rule("list_continuation", _list_continuation),
    Rule("role_confusion", _role_confusion),
    Rule("cut_output", _cut),
    Rule("answer_type", _answer_type),
)


def check_structure(record: Record, config: StructureConfig) -> Verdict | None:
    return first_violation(record, config, STRUCTURE_RULES)
