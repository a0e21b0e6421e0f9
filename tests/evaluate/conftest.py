"""A tiny adapter that has learned a visible skill: "Repeat the word number i." -> "Word i."
The random base answers gibberish, so every metric and a scripted judge can tell them apart."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from pipeline.records import AlpacaRecord, Lineage
from pipeline.train.config import TrainConfig

WORD_RECORDS = [
    AlpacaRecord(
        instruction=f"Repeat the word number {i}.", output=f"Word {i}.", lineage=Lineage(generator="test")
    )
    for i in range(4)
]
# fp32 pinned: the tests read the evaluation of a model that learned its four answers, and
# the 16-wide tiny model learns them less surely in bf16, which CPUs with AVX512-BF16 would pick
WORD_TRAINING = TrainConfig(
    epochs=100, learning_rate=2e-2, batch_size=4, micro_batch_size=4, lora_dropout=0.0, precision="fp32"
)
_SKILL = re.compile(r"Word \d")


@pytest.fixture(scope="session")
def word_adapter(tiny_llama_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from pipeline.train.lora import train_lora

    return train_lora(
        WORD_RECORDS, [], WORD_TRAINING, str(tiny_llama_dir), tmp_path_factory.mktemp("word-train")
    ).adapter_dir


def skill_judge(body: dict[str, Any]) -> str:
    """Rewards answers that show the learned skill, whichever position they are shown in."""
    prompt = body["messages"][-1]["content"]
    if "## Answer to grade" in prompt:
        answer = prompt.split("## Answer to grade", 1)[1]
        return json.dumps({"reason": "checked", "score": 9 if _SKILL.search(answer) else 1})
    first, second = prompt.split("## Answer A", 1)[1].split("## Answer B", 1)
    a, b = bool(_SKILL.search(first)), bool(_SKILL.search(second))
    return json.dumps({"reason": "compared", "winner": "A" if a > b else "B" if b > a else "tie"})


def first_position_judge(body: dict[str, Any]) -> str:
    """Always prefers answer A and never gives a usable score."""
    return '{"reason": "first is best", "winner": "A"}'
