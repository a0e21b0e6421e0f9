from pathlib import Path

import pytest

from pipeline.errors import SeedforgeError
from pipeline.evaluate.heldout import heldout_comparison
from pipeline.records import AlpacaRecord, Lineage
from pipeline.train.config import TrainConfig
from pipeline.train.lora import train_lora

RECORDS = [
    AlpacaRecord(
        instruction=f"Repeat the word number {i}.", output=f"Word {i}.", lineage=Lineage(generator="t")
    )
    for i in range(4)
]


def test_tuned_beats_base_on_what_it_learned(tiny_llama_dir: Path, tmp_path: Path) -> None:
    config = TrainConfig(epochs=30, learning_rate=2e-2, batch_size=4, micro_batch_size=4, lora_dropout=0.0)
    result = train_lora(RECORDS, [], config, str(tiny_llama_dir), tmp_path)
    figures = heldout_comparison(RECORDS, str(tiny_llama_dir), result.adapter_dir, config)
    assert figures["tuned_loss"] < figures["base_loss"]
    assert figures["tuned_better"] and figures["records"] == 4 and figures["tokens"] > 0


def test_empty_heldout_and_mismatched_adapter(tiny_llama_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(SeedforgeError, match="held-out set is empty"):
        heldout_comparison([], str(tiny_llama_dir), tmp_path, TrainConfig())
    with pytest.raises(SeedforgeError, match="not a PEFT adapter directory"):
        heldout_comparison(RECORDS, str(tiny_llama_dir), tmp_path / "missing", TrainConfig())
