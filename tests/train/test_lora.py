import json
from pathlib import Path

import pytest
import torch
from peft import PeftModel
from transformers import AutoModelForCausalLM, AutoTokenizer

from pipeline.errors import SeedforgeError
from pipeline.records import DialogueRecord, Lineage
from pipeline.train.lora import train_lora
from pipeline.train.templates import render_prompt
from tests.train.conftest import FAST, RECORDS

pytestmark = pytest.mark.slow


def _greedy(model, tokenizer, prompt: str) -> list[int]:
    inputs = tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
    with torch.no_grad():
        output = model.generate(
            **inputs, max_new_tokens=20, do_sample=False, pad_token_id=tokenizer.pad_token_id
        )
    return output[0, inputs["input_ids"].shape[1] :].tolist()


def _answer_before_eos(tokens: list[int], tokenizer) -> str:
    assert tokenizer.eos_token_id in tokens, f"never stopped: {tokenizer.decode(tokens)!r}"
    return tokenizer.decode(tokens[: tokens.index(tokenizer.eos_token_id)])


def test_loss_falls_and_metrics_are_written(trained) -> None:
    result, out = trained
    history = result.metrics["history"]
    assert history[-1]["train_loss"] < history[0]["train_loss"] / 3
    saved = json.loads((out / "metrics.json").read_text())
    assert saved["steps"] == len(history) == 60
    assert saved["trainable_parameters"] > 0
    assert saved["evals"][-1]["step"] == 60 and saved["validation_loss"] == saved["evals"][-1]["val_loss"]
    assert {"train_loss", "lr", "trained_tokens", "input_tokens", "seconds"} <= set(history[0])
    assert saved["input_tokens"] > saved["trained_tokens"] > 0 and saved["seconds"] > 0


def test_loss_curve_and_run_card_are_written(trained, tiny_llama_dir: Path) -> None:
    _, out = trained
    assert (out / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    card = json.loads((out / "run_card.json").read_text())
    assert card["base_model"] == str(tiny_llama_dir) and card["template"] == "alpaca"
    hyper = card["hyperparameters"]
    assert hyper["learning_rate"] == 2e-2 and hyper["cutoff_len"] == 256 and hyper["lora_r"] == 8
    assert hyper["gradient_accumulation_steps"] == 1 and hyper["total_steps"] == 60
    text = (out / "run_card.md").read_text()
    assert "| learning_rate | `0.02` |" in text and "PeftModel.from_pretrained" in text
    # the precision `auto` resolved to on this machine, beside the `auto` asked for
    precision = card["result"]["placement"]["precision"]
    assert hyper["precision"] == "auto" and precision in {"fp32", "bf16"}
    assert f"| device, precision | cpu, {precision} |" in text


def test_adapter_is_non_empty_and_loads_with_plain_peft(trained, tiny_llama_dir: Path) -> None:
    result, _ = trained
    weights = result.adapter_dir / "adapter_model.safetensors"
    assert weights.stat().st_size == result.metrics["adapter_bytes"] > 10_000
    config = json.loads((result.adapter_dir / "adapter_config.json").read_text())
    assert config["base_model_name_or_path"] == str(tiny_llama_dir)
    base = AutoModelForCausalLM.from_pretrained(config["base_model_name_or_path"])
    model = PeftModel.from_pretrained(base, str(result.adapter_dir))
    lora_b = [p for name, p in model.named_parameters() if "lora_B" in name]
    assert len(lora_b) == 2 * 7 and all(bool(p.abs().sum() > 0) for p in lora_b)


def test_tuned_model_stops_by_itself(trained, tiny_llama_dir: Path) -> None:
    result, _ = trained
    tokenizer = AutoTokenizer.from_pretrained(tiny_llama_dir)
    model = PeftModel.from_pretrained(
        AutoModelForCausalLM.from_pretrained(tiny_llama_dir), str(result.adapter_dir)
    ).eval()
    for record in RECORDS:
        tokens = _greedy(model, tokenizer, render_prompt(record, "alpaca"))
        assert _answer_before_eos(tokens, tokenizer) == record.output


def test_dialogue_model_answers_assistant_turns_and_stops(tiny_llama_dir: Path, tmp_path: Path) -> None:
    dialogue = DialogueRecord(
        messages=[
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello."},
            {"role": "user", "content": "Bye"},
            {"role": "assistant", "content": "Goodbye."},
        ],
        lineage=Lineage(generator="t"),
    )
    result = train_lora(
        [dialogue],
        [],
        FAST.model_copy(update={"batch_size": 1, "micro_batch_size": 1}),
        str(tiny_llama_dir),
        tmp_path,
    )
    tokenizer = AutoTokenizer.from_pretrained(tiny_llama_dir)
    model = PeftModel.from_pretrained(
        AutoModelForCausalLM.from_pretrained(tiny_llama_dir), str(result.adapter_dir)
    ).eval()
    messages = [m.model_dump() for m in dialogue.messages]
    for upto, answer in ((1, "Hello."), (3, "Goodbye.")):
        prompt = tokenizer.apply_chat_template(messages[:upto], tokenize=False, add_generation_prompt=True)
        assert _answer_before_eos(_greedy(model, tokenizer, prompt), tokenizer) == answer
    assert json.loads((tmp_path / "run_card.json").read_text())["dataset"]["record_kinds"] == {
        "alpaca": 0,
        "messages": 1,
    }


def test_training_is_deterministic_for_a_seed(tiny_llama_dir: Path, tmp_path: Path) -> None:
    config = FAST.model_copy(update={"epochs": 3, "lora_dropout": 0.1, "group_by_length": True})
    a = train_lora(RECORDS, [], config, str(tiny_llama_dir), tmp_path / "a")
    b = train_lora(RECORDS, [], config, str(tiny_llama_dir), tmp_path / "b")
    c = train_lora(RECORDS, [], config.model_copy(update={"seed": 7}), str(tiny_llama_dir), tmp_path / "c")
    losses = [[h["train_loss"] for h in r.metrics["history"]] for r in (a, b, c)]
    assert losses[0] == losses[1] != losses[2]


def test_all_linear_targets_every_projection(tiny_llama_dir: Path, tmp_path: Path) -> None:
    config = FAST.model_copy(update={"epochs": 1, "target_modules": "all-linear"})
    result = train_lora(RECORDS, [], config, str(tiny_llama_dir), tmp_path)
    adapter = json.loads((result.adapter_dir / "adapter_config.json").read_text())
    assert {name.rsplit(".", 1)[-1] for name in adapter["target_modules"]} == {
        "q_proj",
        "k_proj",
        "v_proj",
        "o_proj",
        "gate_proj",
        "up_proj",
        "down_proj",
    }


def test_clear_errors(tiny_llama_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(SeedforgeError, match="empty"):
        train_lora([], [], FAST, str(tiny_llama_dir), tmp_path)
    with pytest.raises(SeedforgeError, match=r"target modules \['qkv_proj'\]"):
        train_lora(
            RECORDS,
            [],
            FAST.model_copy(update={"target_modules": ["qkv_proj"]}),
            str(tiny_llama_dir),
            tmp_path / "a",
        )
    with pytest.raises(SeedforgeError, match="cannot be loaded"):
        train_lora(RECORDS, [], FAST, "no-such-org/no-such-model", tmp_path / "b")
    assert not any((tmp_path / "a").iterdir())
