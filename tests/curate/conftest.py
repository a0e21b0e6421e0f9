"""Record builders shared by the curation tests."""

from __future__ import annotations

import pytest

from pipeline.records import AlpacaRecord, DialogueRecord, Lineage


def alpaca(
    instruction: str,
    output: str = "A fine, complete answer.",
    input: str = "",
    language: str = "en",
    **lineage: object,
) -> AlpacaRecord:
    return AlpacaRecord(
        instruction=instruction,
        input=input,
        output=output,
        lineage=Lineage(generator="test", language=language, **lineage),
    )


def dialogue(*turns: str, language: str = "en", system: str | None = None) -> DialogueRecord:
    roles = ["user", "assistant"] * len(turns)
    messages = ([{"role": "system", "content": system}] if system else []) + [
        {"role": role, "content": text} for role, text in zip(roles, turns, strict=False)
    ]
    return DialogueRecord(messages=messages, lineage=Lineage(generator="test", language=language))


@pytest.fixture
def make_alpaca():
    return alpaca


@pytest.fixture
def make_dialogue():
    return dialogue
