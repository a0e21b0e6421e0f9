"""Held-out loss and perplexity of the base and the tuned model on the reference answers."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pipeline.errors import SeedforgeError
from pipeline.evaluate.models import TunedModel, load_tuned
from pipeline.records import AlpacaRecord, Record
from pipeline.train.config import TrainConfig
from pipeline.train.data import tokenize_all
from pipeline.train.loop import mean_loss


def loss_figures(tuned: TunedModel, records: Sequence[AlpacaRecord], config: TrainConfig) -> dict[str, Any]:
    """Token-weighted loss over the answer tokens (and EOS), the prompt masked as in training;
    the base side is the same model with the adapter disabled."""
    if not records:
        raise SeedforgeError("the held-out set is empty")
    scoring = config.model_copy(update={"train_on_inputs": False})
    training_view: list[Record] = list(records)
    examples = tokenize_all(training_view, tuned.tokenizer, scoring)
    with tuned.base():
        base_loss = mean_loss(tuned.model, examples, tuned.pad_id)
    tuned_loss = mean_loss(tuned.model, examples, tuned.pad_id)
    return {
        "records": len(records),
        "tokens": sum(e.trained_tokens for e in examples),
        "base_loss": round(base_loss, 4),
        "tuned_loss": round(tuned_loss, 4),
        "base_perplexity": round(math.exp(base_loss), 2),
        "tuned_perplexity": round(math.exp(tuned_loss), 2),
        "tuned_better": tuned_loss < base_loss,
    }


def heldout_comparison(
    records: list[AlpacaRecord], base_model: str, adapter_dir: Path, config: TrainConfig
) -> dict[str, Any]:
    if not records:
        raise SeedforgeError("the held-out set is empty")
    return loss_figures(load_tuned(base_model, adapter_dir, config.torch_threads), records, config)
