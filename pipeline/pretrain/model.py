"""The model a pretraining run trains: LoRA on the projections, plus (for an extended
vocabulary) full copies of the input embeddings and output head that PEFT trains and saves with
the adapter (`modules_to_save`). Where the head is tied to the embeddings, PEFT is asked to keep
the two copies tied (`ensure_weight_tying`), so the adapter saves, reloads and merges into a model
whose head still is its embedding matrix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.errors import SeedforgeError
from pipeline.io import publish_dir, staging_dir
from pipeline.pretrain.config import PretrainConfig
from pipeline.train.base_model import load_causal_lm
from pipeline.train.checkpoint import ADAPTER_WEIGHTS
from pipeline.train.hardware import CPU, Placement
from pipeline.train.lora import with_lora

ADAPTER = "adapter"


def _module_name(model: Any, module: Any) -> str:
    name: str = next(name for name, candidate in model.named_modules() if candidate is module)
    return name


def embedding_modules(model: Any) -> tuple[list[str], bool]:
    """Leaf names of the modules to train whole, and whether the head is tied to the embeddings."""
    embed, head = model.get_input_embeddings(), model.get_output_embeddings()
    tied = head is not None and head.weight is embed.weight
    names = [_module_name(model, embed).rsplit(".", 1)[-1]]
    if head is not None and not tied:
        names.append(_module_name(model, head).rsplit(".", 1)[-1])
    return names, tied


def lora_model(
    base_model: str, config: PretrainConfig, train_embeddings: bool, placement: Placement = CPU
) -> Any:
    from peft import LoraConfig

    model = load_causal_lm(base_model, placement)
    modules, tied = embedding_modules(model) if train_embeddings else ([], False)
    lora = LoraConfig(
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=config.target_modules,
        modules_to_save=modules or None,
        ensure_weight_tying=tied,
        task_type="CAUSAL_LM",
    )
    return with_lora(model, lora)


def _check_saved(model: Any, staging: Path, train_embeddings: bool) -> dict[str, int]:
    """The file must hold every LoRA matrix (some trained) and, when asked, the embeddings."""
    from safetensors import safe_open

    wrapped = sum(1 for _, module in model.named_modules() if "default" in getattr(module, "lora_A", {}))
    with safe_open(str(staging / ADAPTER_WEIGHTS), "pt") as weights:
        keys = list(weights.keys())
        lora = [k for k in keys if "lora_A" in k or "lora_B" in k]
        trained_b = sum(1 for k in lora if "lora_B" in k and bool(weights.get_tensor(k).any()))
    whole = len(keys) - len(lora)
    if len(lora) != 2 * wrapped or trained_b == 0 or (train_embeddings and whole == 0):
        raise SeedforgeError(
            f"the saved adapter is incomplete: {len(lora)} LoRA tensors for {wrapped} modules "
            f"({trained_b} trained), {whole} whole modules"
            + (" (embeddings were to be saved)" if train_embeddings else ""),
            path=staging,
        )
    return {
        "tensors": len(keys),
        "embedding_tensors": whole,
        "bytes": (staging / ADAPTER_WEIGHTS).stat().st_size,
    }


def save_adapter(
    model: Any, tokenizer: Any, out_dir: Path, train_embeddings: bool
) -> tuple[Path, dict[str, int]]:
    target = out_dir / ADAPTER
    with staging_dir(target) as staging:
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        info = _check_saved(model, staging, train_embeddings)
        publish_dir(staging, target)  # a resumed run replaces what an earlier finish left
    return target, info
