"""One smoke test on the real embedded base: GGUF -> cached HF directory -> a few LoRA steps ->
an adapter that plain PEFT loads onto the cached directory its adapter_config.json names."""

import json
from pathlib import Path

import pytest

from pipeline.records import AlpacaRecord, Lineage
from pipeline.train.base_model import prepare_base_model
from pipeline.train.config import TrainConfig
from pipeline.train.lora import train_lora

pytestmark = pytest.mark.slow


def test_embedded_base_converts_once_and_trains(
    data_dir: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    from peft import PeftModel
    from transformers import AutoModelForCausalLM
    from transformers import modeling_gguf_pytorch_utils as gguf_reading

    drawn = gguf_reading.tqdm
    base = prepare_base_model(None)
    assert "de-quantizing" not in capfd.readouterr().err  # transformers' own bar, not ours
    assert gguf_reading.tqdm is drawn  # put back
    config = json.loads(Path(base, "config.json").read_text())
    assert config["architectures"] == ["LlamaForCausalLM"] and config["num_hidden_layers"] == 30
    assert "quantization_config" not in config
    assert prepare_base_model(None) == base  # cached
    records = [
        AlpacaRecord(
            instruction=f"Give a one-word synonym for word {i}.",
            output=f"Word{i}.",
            lineage=Lineage(generator="t"),
        )
        for i in range(4)
    ]
    result = train_lora(
        records, records[:2], TrainConfig(epochs=1, batch_size=4, micro_batch_size=2), base, tmp_path
    )
    assert result.metrics["trainable_parameters"] == 460_800  # r8 on q_proj, v_proj
    assert result.metrics["steps"] == 1 and result.metrics["validation_loss"] > 0
    assert (result.adapter_dir / "adapter_model.safetensors").stat().st_size > 1_000_000
    adapter_config = json.loads((result.adapter_dir / "adapter_config.json").read_text())
    assert adapter_config["base_model_name_or_path"] == base
    model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base), str(result.adapter_dir))
    assert sum(1 for name, _ in model.named_parameters() if "lora_B" in name) == 60


def test_embedded_base_trains_the_same_with_checkpointing_and_packing(
    embedded_hf_model: Path, tmp_path: Path
) -> None:
    """The real SmolLM2, packed rows (position ids, no dense mask): two optimizer steps give the
    same losses with and without gradient checkpointing, dropout on."""
    records = [
        AlpacaRecord(
            instruction=f"Name a fruit that starts with the letter {letter}.",
            output=f"{fruit}.",
            lineage=Lineage(generator="t"),
        )
        for letter, fruit in zip(
            "ABCGKLMO", ["Apple", "Banana", "Cherry", "Grape", "Kiwi", "Lemon", "Mango", "Olive"], strict=True
        )
    ]
    config = TrainConfig(epochs=2, batch_size=8, micro_batch_size=4, warmup_steps=0, val_set_size=0)
    plain = train_lora(records, [], config, str(embedded_hf_model), tmp_path / "plain")
    checkpointed = train_lora(
        records,
        [],
        config.model_copy(update={"gradient_checkpointing": True}),
        str(embedded_hf_model),
        tmp_path / "checkpointed",
    )
    losses = [entry["train_loss"] for entry in plain.metrics["history"]]
    assert len(losses) == 2 and plain.metrics["padding_fraction"] < 0.5  # packed rows
    assert [entry["train_loss"] for entry in checkpointed.metrics["history"]] == pytest.approx(
        losses, rel=1e-4
    )
