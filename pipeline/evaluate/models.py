"""The base model with the tuned adapter on top, loaded once: the base answers and losses come
from the same object with the adapter disabled, so both sides share weights, tokenizer and
prompt — the only difference is the adapter."""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.errors import SeedforgeError
from pipeline.train.adapter_fit import check_adapter_fits
from pipeline.train.base_model import (
    configure_torch,
    load_causal_lm,
    load_tokenizer,
    pad_id_of,
    peft_wrapping,
)
from pipeline.train.export import ADAPTER_CONFIG, adapter_directory
from pipeline.train.hardware import CPU, Placement

__all__ = ["ADAPTER_CONFIG", "TunedModel", "adapter_directory", "load_tuned", "read_adapter_config"]


@dataclass
class TunedModel:
    model: Any  # peft.PeftModel
    tokenizer: Any
    base_model: str
    adapter_dir: Path

    @property
    def pad_id(self) -> int:
        return pad_id_of(self.tokenizer)

    def base(self) -> AbstractContextManager[Any]:
        """`with tuned.base():` runs the plain base model."""
        context: AbstractContextManager[Any] = self.model.disable_adapter()
        return context


def read_adapter_config(adapter_dir: Path) -> dict[str, Any]:
    path = adapter_directory(adapter_dir) / ADAPTER_CONFIG
    try:
        config: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return config
    except json.JSONDecodeError as exc:
        raise SeedforgeError(f"not valid JSON: {exc.msg}", path=path, line=exc.lineno) from None


def recorded_base(adapter_dir: Path) -> str | None:
    """The base the adapter says it was trained on, when that path still exists here."""
    recorded = read_adapter_config(adapter_dir).get("base_model_name_or_path")
    if recorded and (Path(recorded) / "config.json").is_file():
        return str(recorded)
    return None


def _unused_adapter_weights(tuned: Any, adapter_dir: Path) -> list[str]:
    """Saved adapter tensors that found no module in the base. PEFT loads such an adapter
    without a word (e.g. one trained on a deeper model of the same width), and the missing
    layers would then silently evaluate as the base model."""
    weights = adapter_dir / "adapter_model.safetensors"
    if not weights.is_file():
        return []  # older .bin adapters: PEFT's own shape checks are all we have
    from safetensors import safe_open

    with safe_open(str(weights), framework="pt") as handle:
        saved = list(handle.keys())
    loaded = set(tuned.state_dict())
    name = tuned.active_adapter
    return [
        key for key in saved if key not in loaded and key.replace(".weight", f".{name}.weight") not in loaded
    ]


def load_tuned(
    base_model: str, adapter_dir: Path, threads: int | None = None, placement: Placement = CPU
) -> TunedModel:
    """Base model with the adapter applied, on the placement's device (fp32 on the CPU, bf16 or
    fp16 weights on a GPU); an adapter that does not fit raises SeedforgeError naming the
    adapter directory."""
    adapter_dir = adapter_directory(adapter_dir)
    read_adapter_config(adapter_dir)
    from peft import PeftModel

    check_adapter_fits(adapter_dir, base_model)  # before any weight is loaded
    configure_torch(threads)
    tokenizer = load_tokenizer(base_model)
    model = load_causal_lm(base_model, placement)
    mismatch = f"adapter does not match the base model {base_model}"
    try:
        with peft_wrapping():
            tuned = PeftModel.from_pretrained(model, str(adapter_dir))
    except (ValueError, RuntimeError, OSError, KeyError) as exc:
        detail = " ".join(str(exc).split())[:300] or type(exc).__name__
        raise SeedforgeError(f"{mismatch}: {detail}", path=adapter_dir) from None
    unused = _unused_adapter_weights(tuned, adapter_dir)
    if unused:
        raise SeedforgeError(
            f"{mismatch}: {len(unused)} adapter tensors have no place in it (first: {unused[0]})",
            path=adapter_dir,
        )
    tuned.eval()
    return TunedModel(tuned, tokenizer, base_model, adapter_dir)
