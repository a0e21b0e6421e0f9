import json
from pathlib import Path

import pytest
import torch
from peft import PeftModel
from transformers import AutoModelForCausalLM, AutoTokenizer

from pipeline.config import TrainConfig
from pipeline.errors import SeedforgeError
from pipeline.records import AlpacaRecord, Lineage
from pipeline.train.data import render_prompt
from pipeline.train.lora import train_lora

RECORDS = [
    AlpacaRecord(instruction="Name a primary colour.", output="Red.", lineage=Lineage(generator="t")),
    AlpacaRecord(instruction="Say yes.", output="Yes.", lineage=Lineage(generator="t")),
]
FAST = TrainConfig(epochs=60, learning_rate=2e-2, batch_size=2, micro_batch_size=2,
                   target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
                   lora_dropout=0.0)


@pytest.fixture(scope="module")
def trained(tiny_llama_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("lora-out")
    return train_lora(RECORDS, RECORDS, FAST, str(tiny_llama_dir), out), out


def test_loss_falls_and_metrics_are_written(trained) -> None:
    result, out = trained
    history = result.metrics["history"]
    assert history[-1]["train_loss"] < history[0]["train_loss"] / 3
    saved = json.loads((out / "metrics.json").read_text())
    assert saved["steps"] == len(history) == 60
    assert saved["trainable_parameters"] > 0


def test_adapter_is_non_empty_and_loads_with_plain_peft(trained, tiny_llama_dir: Path) -> None:
    result, _ = trained
    weights = result.adapter_dir / "adapter_model.safetensors"
    assert weights.stat().st_size > 10_000
    config = json.loads((result.adapter_dir / "adapter_config.json").read_text())
    assert config["base_model_name_or_path"] == str(tiny_llama_dir)
    base = AutoModelForCausalLM.from_pretrained(config["base_model_name_or_path"])
    model = PeftModel.from_pretrained(base, str(result.adapter_dir))
    assert any("lora_A" in name for name, _ in model.named_parameters())


def test_tuned_model_stops_by_itself(trained, tiny_llama_dir: Path) -> None:
    result, _ = trained
    tokenizer = AutoTokenizer.from_pretrained(tiny_llama_dir)
    model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny_llama_dir),
                                      str(result.adapter_dir)).eval()
    prompt = tokenizer(render_prompt(RECORDS[0], "alpaca"), return_tensors="pt", add_special_tokens=False)
    with torch.no_grad():
        output = model.generate(**prompt, max_new_tokens=20, do_sample=False,
                                pad_token_id=tokenizer.pad_token_id)
    new_tokens = output[0, prompt["input_ids"].shape[1]:].tolist()
    assert tokenizer.eos_token_id in new_tokens
    assert tokenizer.decode(new_tokens[:new_tokens.index(tokenizer.eos_token_id)]) == "Red."


def test_training_is_deterministic_for_a_seed(tiny_llama_dir: Path, tmp_path: Path) -> None:
    config = FAST.model_copy(update={"epochs": 3})
    a = train_lora(RECORDS, [], config, str(tiny_llama_dir), tmp_path / "a")
    b = train_lora(RECORDS, [], config, str(tiny_llama_dir), tmp_path / "b")
    assert [h["train_loss"] for h in a.metrics["history"]] == [h["train_loss"] for h in b.metrics["history"]]


def test_empty_dataset_is_a_clear_error(tiny_llama_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(SeedforgeError, match="empty"):
        train_lora([], [], FAST, str(tiny_llama_dir), tmp_path)
