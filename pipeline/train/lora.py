"""LoRA fine-tuning with PEFT in a plain torch loop: token-weighted loss across gradient
accumulation, EOS appended and learned, and an adapter that loads with plain PEFT."""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.config import TrainConfig
from pipeline.errors import SeedforgeError
from pipeline.records import AlpacaRecord
from pipeline.train.base_model import configure_torch
from pipeline.train.data import Example, collate, summed_token_loss, tokenize_record


@dataclass
class TrainResult:
    adapter_dir: Path
    metrics: dict[str, Any]


def tokenize_all(records: list[AlpacaRecord], tokenizer: Any, config: TrainConfig) -> list[Example]:
    return [
        tokenize_record(r, tokenizer, template=config.template, cutoff=config.cutoff_len,
                        train_on_inputs=config.train_on_inputs, add_eos=config.add_eos)
        for r in records
    ]


def mean_loss(model: Any, examples: list[Example], pad_id: int, batch: int = 8) -> float:
    import torch

    total, tokens = 0.0, 0
    was_training = model.training
    model.eval()
    with torch.no_grad():
        for start in range(0, len(examples), batch):
            loss, count = summed_token_loss(model, collate(examples[start:start + batch], pad_id))
            total += float(loss)
            tokens += count
    model.train(was_training)
    return total / max(tokens, 1)


def _micro_batches(examples: list[Example], size: int, rng: random.Random) -> list[list[Example]]:
    order = list(range(len(examples)))
    rng.shuffle(order)
    return [[examples[i] for i in order[s:s + size]] for s in range(0, len(order), size)]


def train_lora(
    train: list[AlpacaRecord], validation: list[AlpacaRecord], config: TrainConfig,
    base_model: str, out_dir: Path, *, on_step: Callable[[int, int, float], None] | None = None,
) -> TrainResult:
    if not train:
        raise SeedforgeError("the training set is empty")
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer, get_linear_schedule_with_warmup

    configure_torch(config.torch_threads)
    torch.manual_seed(config.seed)
    rng = random.Random(config.seed)
    tokenizer = AutoTokenizer.from_pretrained(base_model)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    model = AutoModelForCausalLM.from_pretrained(base_model, dtype=torch.float32)
    model = get_peft_model(model, LoraConfig(
        r=config.lora_r, lora_alpha=config.lora_alpha, lora_dropout=config.lora_dropout,
        target_modules=config.target_modules, task_type="CAUSAL_LM",
    ))
    train_examples = tokenize_all(train, tokenizer, config)
    val_examples = tokenize_all(validation, tokenizer, config)
    micro = config.micro_batch_size
    accumulation = max(1, config.batch_size // micro)
    steps_per_epoch = math.ceil(len(train_examples) / (micro * accumulation))
    total_steps = max(1, math.ceil(config.epochs * steps_per_epoch))
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad],
                                  lr=config.learning_rate)
    scheduler = get_linear_schedule_with_warmup(optimizer, max(1, total_steps // 10), total_steps)

    history: list[dict[str, float]] = []
    started = time.monotonic()
    trained_tokens = 0
    step = 0
    model.train()
    while step < total_steps:
        batches = _micro_batches(train_examples, micro, rng)
        for group_start in range(0, len(batches), accumulation):
            group = batches[group_start:group_start + accumulation]
            group_tokens = sum(e.trained_tokens for b in group for e in b)
            step_loss = 0.0
            for micro_batch in group:
                loss, _ = summed_token_loss(model, collate(micro_batch, pad_id))
                (loss / max(group_tokens, 1)).backward()
                step_loss += float(loss.detach())
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            trained_tokens += group_tokens
            history.append({"step": step, "train_loss": step_loss / max(group_tokens, 1),
                            "lr": scheduler.get_last_lr()[0]})
            if on_step:
                on_step(step, total_steps, history[-1]["train_loss"])
            if step >= total_steps:
                break
    elapsed = time.monotonic() - started
    val_loss = mean_loss(model, val_examples, pad_id) if val_examples else None

    adapter_dir = out_dir / "adapter"
    model.save_pretrained(adapter_dir)
    tokenizer.save_pretrained(adapter_dir)
    metrics = {
        "base_model": base_model,
        "steps": step,
        "train_examples": len(train_examples),
        "truncated_examples": sum(e.truncated for e in train_examples),
        "trained_tokens": trained_tokens,
        "seconds": round(elapsed, 2),
        "tokens_per_second": round(trained_tokens / elapsed, 1) if elapsed else None,
        "final_train_loss": history[-1]["train_loss"],
        "validation_loss": val_loss,
        "history": history,
        "trainable_parameters": sum(p.numel() for p in model.parameters() if p.requires_grad),
        "config": config.model_dump(mode="json"),
    }
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    return TrainResult(adapter_dir, metrics)
