"""Dialogues that no chat consumer accepts (`seedforge export` refuses them) are dropped by
curation with the rule they break, instead of kept and refused downstream."""

from __future__ import annotations

import pytest

from pipeline.curate.config import CurateConfig, StructureConfig
from pipeline.curate.curator import Curator
from pipeline.curate.structure import check_structure
from pipeline.records import DialogueRecord, Lineage
from tests.curate.conftest import dialogue


def chat(*roles: str) -> DialogueRecord:
    messages = [
        {"role": role, "content": f"A full sentence from the {role}, number {n}, with enough words."}
        for n, role in enumerate(roles)
    ]
    return DialogueRecord(messages=messages, lineage=Lineage(generator="file"))


@pytest.mark.parametrize(
    ("roles", "problem"),
    [
        (("assistant", "user"), "message 0 is assistant, expected user"),
        (("user", "user"), "message 1 is user, expected assistant"),
        (("user", "assistant", "user"), "the last message is the user's"),
        (("system", "assistant", "user", "assistant"), "message 1 is assistant, expected user"),
        (("user", "assistant", "system", "assistant"), "only the first may be"),
    ],
)
def test_a_dialogue_breaking_the_chat_rules_is_dropped_with_the_rule(
    roles: tuple[str, ...], problem: str
) -> None:
    verdict = check_structure(chat(*roles), StructureConfig())
    assert verdict is not None and verdict.reason == "chat_rules"
    assert problem in verdict.evidence["term"] and verdict.evidence["field"] == "messages"


def test_well_formed_dialogues_pass_and_the_rule_can_be_turned_off() -> None:
    two_turns = dialogue(
        "How do I sleep better at night?",
        "Keep a regular bedtime and a cool, dark room.",
        "And if I wake up at four every morning?",
        "Get up for a while, keep the light low, and go back to bed when you feel sleepy.",
        system="You are a helpful sleep coach.",
    )
    assert check_structure(two_turns, StructureConfig()) is None
    assert check_structure(chat("assistant", "user"), StructureConfig(chat_rules=False)) is None


def test_curate_drops_them_in_the_structure_step() -> None:
    curator = Curator(CurateConfig())
    rejected = curator.consider_one(chat("user", "user"))
    assert rejected is not None and (rejected.step, rejected.reason) == ("structure", "chat_rules")
    kept = dialogue("How do I sleep better at night?", "Keep a regular bedtime and a cool, dark room.")
    assert curator.consider_one(kept) is None
