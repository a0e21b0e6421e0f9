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


def test_embedded_base_converts_once_and_trains(data_dir: Path, tmp_path: Path) -> None:
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    base = prepare_base_model(None)
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
