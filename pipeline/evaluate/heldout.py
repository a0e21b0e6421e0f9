"""Held-out loss and perplexity of the base and the tuned model on the reference answers."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from pipeline.config import TrainConfig
from pipeline.errors import SeedforgeError
from pipeline.records import AlpacaRecord
from pipeline.train.base_model import configure_torch
from pipeline.train.lora import mean_loss, tokenize_all


def heldout_comparison(
    records: list[AlpacaRecord], base_model: str, adapter_dir: Path, config: TrainConfig
) -> dict[str, Any]:
    """Token-weighted loss over the answer tokens (and EOS), the prompt masked as in training."""
    if not records:
        raise SeedforgeError("the held-out set is empty")
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    configure_torch(config.torch_threads)
    tokenizer = AutoTokenizer.from_pretrained(base_model)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    scoring = config.model_copy(update={"train_on_inputs": False})
    examples = tokenize_all(records, tokenizer, scoring)
    model = AutoModelForCausalLM.from_pretrained(base_model, dtype=torch.float32)
    base_loss = mean_loss(model, examples, pad_id)
    try:
        tuned = PeftModel.from_pretrained(model, str(adapter_dir))
    except (ValueError, RuntimeError, OSError) as exc:
        raise SeedforgeError(f"adapter does not load onto {base_model}: {exc}", path=adapter_dir) from None
    tuned_loss = mean_loss(tuned, examples, pad_id)
    return {
        "records": len(records),
        "tokens": sum(e.trained_tokens for e in examples),
        "base_loss": round(base_loss, 4),
        "tuned_loss": round(tuned_loss, 4),
        "base_perplexity": round(math.exp(base_loss), 2),
        "tuned_perplexity": round(math.exp(tuned_loss), 2),
        "tuned_better": tuned_loss < base_loss,
    }
