"""One trained tiny adapter shared by the LoRA and export tests."""

from pathlib import Path

import pytest

from pipeline.records import AlpacaRecord, Lineage
from pipeline.train.config import TrainConfig

RECORDS = [
    AlpacaRecord(instruction="Name a primary colour.", output="Red.", lineage=Lineage(generator="t")),
    AlpacaRecord(instruction="Say yes.", output="Yes.", lineage=Lineage(generator="t")),
]
# a high learning rate on every projection: the tiny random model memorises two answers fast
FAST = TrainConfig(
    epochs=60,
    learning_rate=2e-2,
    batch_size=2,
    micro_batch_size=2,
    lora_dropout=0.0,
    target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
)


@pytest.fixture(scope="session")
def trained(tiny_llama_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    from pipeline.train.lora import train_lora

    out = tmp_path_factory.mktemp("lora-out")
    return train_lora(RECORDS, RECORDS, FAST, str(tiny_llama_dir), out), out
