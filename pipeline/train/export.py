"""Merge a LoRA adapter into its base and save a standalone HF directory: loads with plain
`AutoModelForCausalLM.from_pretrained`, no PEFT needed, and stops at the tokenizer's EOS."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipeline.errors import SeedforgeError
from pipeline.io import publish_dir, staging_dir
from pipeline.train.adapter_fit import check_adapter_fits
from pipeline.train.base_model import load_causal_lm, load_tokenizer, pad_id_of, peft_wrapping
from pipeline.train.lora import ADAPTER

DTYPES = ("float32", "bfloat16", "float16")
ADAPTER_CONFIG = "adapter_config.json"


def adapter_directory(path: Path) -> Path:
    """The PEFT adapter folder `path` names: `path` itself when it holds adapter_config.json,
    else its `adapter/` when `path` is the folder `seedforge train --out` wrote."""
    path = Path(path)
    for candidate in (path, path / ADAPTER):
        if (candidate / ADAPTER_CONFIG).is_file():
            return candidate
    raise SeedforgeError(
        f"not a PEFT adapter directory (no {ADAPTER_CONFIG}), "
        f"nor a `seedforge train --out` folder (no {ADAPTER}/{ADAPTER_CONFIG})",
        path=path,
    )


def adapter_base(adapter_dir: Path) -> str:
    config_path = adapter_dir / "adapter_config.json"
    if not config_path.is_file():
        raise SeedforgeError("not a PEFT adapter directory (no adapter_config.json)", path=adapter_dir)
    base = json.loads(config_path.read_text(encoding="utf-8")).get("base_model_name_or_path")
    if not base:
        raise SeedforgeError("adapter_config.json names no base model; pass --base-model", path=config_path)
    return str(base)


def _tokenizer_for(adapter_dir: Path, base: str) -> Any:
    # the adapter directory carries the tokenizer it was trained with, when seedforge wrote it
    source = str(adapter_dir) if (adapter_dir / "tokenizer_config.json").is_file() else base
    return load_tokenizer(source)


def merge_adapter(
    adapter_dir: Path, out_dir: Path, *, base_model: str | None = None, dtype: str = "float32"
) -> Path:
    """Write the merged model to out_dir (staged, then renamed; refuses to overwrite)."""
    import torch
    from peft import PeftModel

    if dtype not in DTYPES:
        raise SeedforgeError(f"unknown dtype {dtype!r}; known: {', '.join(DTYPES)}")
    adapter_dir, out_dir = Path(adapter_dir), Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise SeedforgeError("already exists and is not empty; choose another output directory", path=out_dir)
    base = base_model or adapter_base(adapter_dir)
    check_adapter_fits(adapter_dir, base)  # before any weight is loaded
    tokenizer = _tokenizer_for(adapter_dir, base)
    with peft_wrapping():
        model = PeftModel.from_pretrained(load_causal_lm(base), str(adapter_dir))
    merged = model.merge_and_unload().to(getattr(torch, dtype))
    merged.config.name_or_path = str(out_dir)
    generation = merged.generation_config
    generation.eos_token_id = tokenizer.eos_token_id
    generation.pad_token_id = pad_id_of(tokenizer)
    with staging_dir(out_dir) as staging:
        merged.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        publish_dir(staging, out_dir)  # replaces an empty directory (checked above)
    return out_dir
