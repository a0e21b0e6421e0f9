"""Does an adapter fit a base? Read from the adapter's safetensors header and the base's
config.json alone, before any weight is loaded: every LoRA matrix must match the projection it
adapts (width, depth, attention and MLP sizes) and saved embeddings or head the base's
vocabulary. PEFT's own refusal comes after the base is loaded, and for some mismatches (an
adapter of a deeper model) never: the extra matrices are silently left out."""

from __future__ import annotations

import json
import re
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


def check_adapter_fits(adapter_dir: Path, base_model: str) -> None:
    """A SeedforgeError naming the first matrix that cannot fit; nothing when the base is not a
    local LLaMA-style folder (a hub id, another architecture: PEFT's checks remain)."""
    config_path, weights = Path(base_model) / "config.json", adapter_dir / "adapter_model.safetensors"
    if not config_path.is_file() or not weights.is_file():
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
