"""Does an adapter fit a base? Read from the adapter's safetensors header and the base's
config.json alone, before any weight is loaded: every LoRA matrix must match the projection it
adapts (width, depth, attention and MLP sizes) and saved embeddings or head the base's
vocabulary. PEFT's own refusal comes after the base is loaded, and for some mismatches (an
adapter of a deeper model) never: the extra matrices are silently left out."""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path
from typing import Any

from pipeline.errors import SeedforgeError
from pipeline.train.memory import safetensors_shapes

# a saved adapter's tensor names: a LoRA matrix (layer, module, A or B), or a whole module PEFT
# saved (`modules_to_save`); gguf_export reads the same names
LORA_KEY = re.compile(r"layers\.(\d+)\.(?:self_attn|mlp)\.(\w+)\.lora_([AB])(?:\.\w+)?\.weight$")
WHOLE_KEY = re.compile(r"(embed_tokens|lm_head)(?:\.modules_to_save\.\w+)?\.weight$")
_LLAMA_LIKE = {"llama", "mistral", "qwen2", "qwen3", "smollm3"}


def _projection_sizes(config: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """(in features, out features) of each adaptable projection."""
    hidden, inner = int(config["hidden_size"]), int(config["intermediate_size"])
    heads = int(config["num_attention_heads"])
    kv_heads = int(config.get("num_key_value_heads") or heads)
    head_dim = int(config.get("head_dim") or hidden // heads)
    return {
        "q_proj": (hidden, heads * head_dim),
        "k_proj": (hidden, kv_heads * head_dim),
        "v_proj": (hidden, kv_heads * head_dim),
        "o_proj": (heads * head_dim, hidden),
        "gate_proj": (hidden, inner),
        "up_proj": (hidden, inner),
        "down_proj": (inner, hidden),
    }


def check_adapter_weights(adapter_dir: Path) -> Path:
    """The adapter's weights file, checked to be there and whole: without it PEFT goes looking on
    the Hub (a network error offline) and a cut-off file fails deep in its loader."""
    weights = adapter_dir / "adapter_model.safetensors"
    if not weights.is_file():
        if (adapter_dir / "adapter_model.bin").is_file():
            return adapter_dir / "adapter_model.bin"
        raise SeedforgeError("the adapter has no weights (no adapter_model.safetensors)", path=adapter_dir)
    size = weights.stat().st_size
    try:
        with weights.open("rb") as handle:
            (header_size,) = struct.unpack("<Q", handle.read(8))
            if header_size > size - 8:
                raise ValueError(f"its header claims {header_size} bytes")
            header = json.loads(handle.read(header_size))
        ends = [entry["data_offsets"][1] for name, entry in header.items() if name != "__metadata__"]
    except (struct.error, ValueError, KeyError, TypeError, IndexError) as exc:
        raise SeedforgeError(
            f"the adapter's weights are damaged (not a safetensors file: {exc})", path=weights
        ) from None
    if 8 + header_size + max(ends, default=0) > size:
        raise SeedforgeError(
            f"the adapter's weights are cut off ({size} bytes; the header needs "
            f"{8 + header_size + max(ends, default=0)})",
            path=weights,
        )
    return weights


def check_adapter_fits(adapter_dir: Path, base_model: str) -> None:
    """A SeedforgeError naming the first matrix that cannot fit; nothing when the base is not a
    local LLaMA-style folder (a hub id, another architecture: PEFT's checks remain)."""
    weights = check_adapter_weights(adapter_dir)
    config_path = Path(base_model) / "config.json"
    if not config_path.is_file() or weights.suffix != ".safetensors":
        return
    config = json.loads(config_path.read_text(encoding="utf-8"))
    if config.get("model_type") not in _LLAMA_LIKE:
        return
    sizes, layers, vocab = (
        _projection_sizes(config),
        int(config["num_hidden_layers"]),
        int(config["vocab_size"]),
    )
    for key, shape in sorted(safetensors_shapes(weights).items()):
        if (lora := LORA_KEY.search(key)) is not None:
            layer, module, kind = int(lora[1]), lora[2], lora[3]
            if layer >= layers:
                raise SeedforgeError(
                    f"the adapter was made for another base: it adapts layer {layer}, {base_model} has "
                    f"{layers} layers",
                    path=adapter_dir,
                )
            if module in sizes:
                size_in, size_out = sizes[module]
                got, want = (shape[1], size_in) if kind == "A" else (shape[0], size_out)
                if got != want:
                    side = "input" if kind == "A" else "output"
                    raise SeedforgeError(
                        f"the adapter was made for another base: its layer {layer} {module} has {got} "
                        f"{side} features, {base_model} has {want}",
                        path=adapter_dir,
                    )
        elif (whole := WHOLE_KEY.search(key)) is not None and shape[0] != vocab:
            raise SeedforgeError(
                f"the adapter was made for another vocabulary: its {whole[1]} has {shape[0]} rows, "
                f"{base_model} has {vocab} tokens (an adapter of `seedforge pretrain --vocab` needs that "
                "extended model as its base: --base-model VOCAB_DIR)",
                path=adapter_dir,
            )
