"""Will the base fit? Its parameters are counted from the safetensors headers (or, without
weights files, from its config) and priced at the dtype they will be loaded in, then compared
with the memory the device has free — before a single weight is read, so a 7B base asked to
train on a laptop fails in a second with the shortfall, not after minutes of swapping."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

from pipeline.errors import SeedforgeError
from pipeline.train.hardware import Placement

GIB = 1024**3
# beyond the frozen weights: LoRA weights, their gradients and AdamW moments, activations of a
# micro-batch and the allocator's slack; a floor, not a promise
_OVERHEAD = 1.2
_BYTES = {"fp32": 4.0, "bf16": 2.0, "fp16": 2.0}
_QUANT_BYTES = {"4bit": 0.55, "8bit": 1.05}  # with the quantisation constants


def safetensors_shapes(path: Path) -> dict[str, list[int]]:
    """Every tensor's shape from a safetensors file's header, without reading a weight."""
    with path.open("rb") as handle:
        (size,) = struct.unpack("<Q", handle.read(8))
        header = json.loads(handle.read(size))
    return {
        name: [int(d) for d in entry["shape"]] for name, entry in header.items() if name != "__metadata__"
    }


def _safetensors_numel(path: Path) -> int:
    total = 0
    for shape in safetensors_shapes(path).values():
        count = 1
        for dim in shape:
            count *= dim
        total += count
    return total


def _config_numel(config: dict[str, Any]) -> int | None:
    """A decoder-only transformer's parameters from its config (LLaMA-style fields)."""
    try:
        hidden, layers = int(config["hidden_size"]), int(config["num_hidden_layers"])
        vocab, inner = int(config["vocab_size"]), int(config["intermediate_size"])
    except (KeyError, TypeError, ValueError):
        return None
    heads = int(config.get("num_attention_heads") or 1)
    kv_heads = int(config.get("num_key_value_heads") or heads)
    head_dim = int(config.get("head_dim") or hidden // heads)
    attention = hidden * head_dim * (2 * heads + 2 * kv_heads)
    mlp = 3 * hidden * inner
    embeddings = vocab * hidden * (1 if config.get("tie_word_embeddings") else 2)
    return layers * (attention + mlp + 2 * hidden) + embeddings + hidden


def parameter_count(base_model: str) -> int | None:
    """None for a hub id that is not a local directory: nothing to read before loading."""
    path = Path(base_model)
    if not path.is_dir():
        return None
    weights = sorted(path.glob("*.safetensors"))
    if weights:
        return sum(_safetensors_numel(file) for file in weights)
    config = path / "config.json"
    if config.is_file():
        return _config_numel(json.loads(config.read_text(encoding="utf-8")))
    return None


def needed_bytes(parameters: int, placement: Placement) -> int:
    per = _QUANT_BYTES[placement.load_in] if placement.load_in else _BYTES[placement.weights_precision]
    return int(parameters * per * _OVERHEAD)


def available_bytes(device: str) -> int:
    if device == "cuda":
        import torch

        free, _total = torch.cuda.mem_get_info()
        return int(free)
    meminfo = Path("/proc/meminfo")
    if meminfo.is_file():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    import psutil

    return int(psutil.virtual_memory().available)


def check_fits(base_model: str, placement: Placement) -> dict[str, Any] | None:
    """The estimate (for the run's metrics), or a SeedforgeError naming the shortfall."""
    parameters = parameter_count(base_model)
    if parameters is None:
        return None
    needed, free = needed_bytes(parameters, placement), available_bytes(placement.device)
    estimate = {"parameters": parameters, "needed_bytes": needed, "available_bytes": free}
    if needed > free:
        how = f"{placement.load_in} quantised" if placement.load_in else placement.weights_precision
        hint = (
            " (--load-in 4bit quantises the base on CUDA)"
            if placement.device == "cuda" and not placement.load_in
            else ""
        )
        raise SeedforgeError(
            f"the base model has {parameters / 1e9:.2f}B parameters: training it in {how} on "
            f"{placement.device} needs about {needed / GIB:.1f} GiB, and {free / GIB:.1f} GiB is free — "
            f"short by {(needed - free) / GIB:.1f} GiB{hint}",
            path=Path(base_model),
        )
    return estimate
