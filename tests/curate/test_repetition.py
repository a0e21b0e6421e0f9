"""Answers caught in a loop are dropped as repetitive_output; answers that repeat for a reason
(a chorus, a list of similar steps, a short echo) are not."""

from __future__ import annotations

import pytest

from pipeline.curate.config import CurateConfig, OutputCheckConfig
from pipeline.curate.curator import Curator
from pipeline.curate.output_checks import check_outputs
from pipeline.curate.repetition import repeated_share
from tests.curate.conftest import alpaca, dialogue

CHORUS = (
    "Verse one: the road is long and the night is cold.\n"
    "Chorus: sing with me, sing with me, we are going home tonight.\n"
    "Verse two: the stars are out and the fire is bright.\n"
    "Chorus: sing with me, sing with me, we are going home tonight.\n"
    "Verse three: the morning comes with a golden light.\n"
    "Chorus: sing with me, sing with me, we are going home tonight."
)
STEPS = "\n".join(
    f"{n}. Add one cup of {thing} and stir for a minute."
    for n, thing in enumerate(["flour", "sugar", "milk", "butter", "cocoa", "water"], start=1)
)


@pytest.mark.parametrize(
    "text",
    [
        "use sunlight to make food. " * 5000,  # what a user found kept: 25,000 words
        "Photosynthesis is how plants make food. " + "The plant makes food. " * 12,
        "植物利用阳光制造食物。" * 40,
        " ".join(["no"] * 30) + ".",
    ],
)
def test_a_loop_is_dropped_with_the_phrase_and_its_share(text: str) -> None:
    verdict = check_outputs(
        alpaca("Explain photosynthesis in a few sentences.", output=text), OutputCheckConfig()
    )
    assert verdict is not None and verdict.reason == "repetitive_output"
    assert verdict.evidence["share"] > 0.5 and verdict.evidence["times"] > 1 and verdict.evidence["term"]


TIDES = " ".join(f"Tide number {n} arrives about twelve hours after tide {n - 1}." for n in range(2, 8))


@pytest.mark.parametrize(
    "text", [CHORUS, STEPS, TIDES, "Yes. Yes. Yes.", "Plants use sunlight to make food. " * 2]
)
def test_repeating_for_a_reason_is_kept(text: str) -> None:
    assert repeated_share(text, 0.5) is None


def test_every_assistant_turn_is_read_and_the_check_can_be_turned_off() -> None:
    looping = dialogue(
        "How do plants eat?", "They make food.", "Tell me more.", "make food from light. " * 30
    )
    verdict = check_outputs(looping, OutputCheckConfig())
    assert verdict is not None and verdict.evidence["field"] == "messages[3]"
    assert check_outputs(looping, OutputCheckConfig(repetition_share=1)) is None
    rejected = Curator(CurateConfig()).consider_one(looping)
    assert rejected is not None and (rejected.step, rejected.reason) == ("output_checks", "repetitive_output")
