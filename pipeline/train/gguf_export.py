"""A PEFT LoRA adapter as GGUF, for llama.cpp: a GGUF LoRA that llama.cpp applies to its base
at load time (`seedforge llm serve --adapter`), or the base GGUF with the adapter merged in.

Both are written against the base GGUF itself, whose tensors name the shapes the adapter must
fit: an adapter made for another base is refused before anything is written. llama.cpp keeps
the q and k projections with their rows permuted for its rotary layout (its converter does
that to the HF weights), so the B matrices of q_proj and k_proj (and the merged deltas) are
permuted the same way. Tensors the adapter does not touch are copied byte for byte, still
quantised; merged ones are written in float16 (or float32)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from pipeline.errors import SeedforgeError
from pipeline.io import atomic_path
from pipeline.train.adapter_fit import LORA_KEY, WHOLE_KEY

_HF_TO_GGUF = {
    "q_proj": "attn_q",
    "k_proj": "attn_k",
    "v_proj": "attn_v",
    "o_proj": "attn_output",
    "gate_proj": "ffn_gate",
    "up_proj": "ffn_up",
    "down_proj": "ffn_down",
}
_WHOLE_TO_GGUF = {"embed_tokens": "token_embd.weight", "lm_head": "output.weight"}


@dataclass
class Adapter:
    """The LoRA pairs of an adapter by GGUF tensor name, its scale, and whole modules it saved."""

    pairs: dict[str, tuple[np.ndarray, np.ndarray]]  # GGUF name -> (A [r, in], B [out, r])
    alpha: float  # llama.cpp scales by alpha / rank
    scale: float
    whole: dict[str, np.ndarray]  # GGUF name -> a fully trained matrix (embeddings, head)


def _refuse(adapter_dir: Path, message: str) -> SeedforgeError:
    return SeedforgeError(message, path=adapter_dir)


def read_adapter(adapter_dir: Path) -> Adapter:
    from safetensors.numpy import load_file

    config_path = adapter_dir / "adapter_config.json"
    weights_path = adapter_dir / "adapter_model.safetensors"
    if not config_path.is_file() or not weights_path.is_file():
        raise _refuse(
            adapter_dir, "not a PEFT adapter directory (adapter_config.json, adapter_model.safetensors)"
        )
    config = json.loads(config_path.read_text(encoding="utf-8"))
    if config.get("peft_type") != "LORA":
        raise _refuse(
            adapter_dir, f"only LoRA adapters convert to GGUF, this one is {config.get('peft_type')}"
        )
    if config.get("use_dora") or config.get("rank_pattern") or config.get("alpha_pattern"):
        raise _refuse(adapter_dir, "DoRA and per-module ranks or alphas have no GGUF LoRA form")
    rank, alpha = int(config["r"]), float(config["lora_alpha"])
    scale = alpha / math.sqrt(rank) if config.get("use_rslora") else alpha / rank
    pairs: dict[str, dict[str, np.ndarray]] = {}
    whole: dict[str, np.ndarray] = {}
    for key, value in load_file(str(weights_path)).items():
        found = LORA_KEY.search(key)
        if found:
            layer, module, kind = int(found[1]), found[2], found[3]
            if module not in _HF_TO_GGUF:
                raise _refuse(adapter_dir, f"LoRA on {module!r} has no llama.cpp tensor to apply to")
            pairs.setdefault(f"blk.{layer}.{_HF_TO_GGUF[module]}.weight", {})[kind] = value.astype(np.float32)
        elif (wholly := WHOLE_KEY.search(key)) is not None:
            whole[_WHOLE_TO_GGUF[wholly[1]]] = value.astype(np.float32)
        else:
            raise _refuse(adapter_dir, f"adapter tensor {key!r} has no llama.cpp counterpart")
    if not pairs:
        raise _refuse(adapter_dir, "the adapter holds no LoRA matrices")
    complete = {name: (both["A"], both["B"]) for name, both in pairs.items() if set(both) == {"A", "B"}}
    if len(complete) != len(pairs):
        raise _refuse(adapter_dir, "the adapter has a LoRA A matrix without its B (or the reverse)")
    # llama.cpp reads one alpha and divides by each pair's rank: fold rsLoRA's scale into it
    return Adapter(complete, scale * rank, scale, whole)


class BaseGGUF:
    """A llama-architecture GGUF read lazily: its fields, tensors and head counts."""

    def __init__(self, path: Path):
        import gguf

        if not path.is_file():
            raise SeedforgeError("base GGUF not found", path=path)
        try:
            self.reader = gguf.GGUFReader(str(path))
        except (ValueError, OSError) as exc:
            raise SeedforgeError(f"not a readable GGUF file ({exc})", path=path) from None
        self.path = path
        self.architecture = str(self.value("general.architecture"))
        if self.architecture != "llama":
            raise SeedforgeError(
                f"base GGUF architecture {self.architecture!r}: only llama-architecture bases are "
                "supported (LLaMA, Mistral-style, SmolLM2)",
                path=path,
            )
        self.tensors = {tensor.name: tensor for tensor in self.reader.tensors}
        self.heads = int(self.value("llama.attention.head_count"))
        self.kv_heads = int(self.value("llama.attention.head_count_kv", self.heads))

    def value(self, key: str, default: Any = None) -> Any:
        field = self.reader.fields.get(key)
        if field is None:
            if default is None:
                raise SeedforgeError(f"the GGUF has no {key}", path=self.path)
            return default
        return field.contents()

    def shape(self, name: str) -> tuple[int, int]:
        """(rows, columns) as HF lays the weight out: (out features, in features)."""
        tensor = self.tensors[name]
        columns, rows = (int(n) for n in tensor.shape[:2])
        return rows, columns

    def rows_permuted(self, name: str, rows: np.ndarray) -> np.ndarray:
        """HF row order -> llama.cpp's for q and k projections; other tensors unchanged."""
        heads = self.heads if ".attn_q." in name else self.kv_heads if ".attn_k." in name else None
        if heads is None:
            return rows
        return (
            rows.reshape(heads, 2, rows.shape[0] // heads // 2, *rows.shape[1:])
            .swapaxes(1, 2)
            .reshape(rows.shape)
        )


def check_fits(adapter: Adapter, base: BaseGGUF, adapter_dir: Path) -> None:
    """Every LoRA pair and whole matrix must match a tensor of the base, shape for shape."""
    for name, (a, b) in sorted(adapter.pairs.items()):
        if name not in base.tensors:
            raise SeedforgeError(
                f"the adapter was made for another base: {name} is not in {base.path.name} "
                f"({base.value('llama.block_count')} blocks)",
                path=adapter_dir,
            )
        if (b.shape[0], a.shape[1]) != base.shape(name) or a.shape[0] != b.shape[1]:
            raise SeedforgeError(
                f"the adapter was made for another base: its {name} update is {b.shape[0]}x{a.shape[1]}, "
                f"the tensor in {base.path.name} is {base.shape(name)[0]}x{base.shape(name)[1]}",
                path=adapter_dir,
            )
    for name, matrix in adapter.whole.items():
        target = name if name in base.tensors else "token_embd.weight"
        if matrix.shape != base.shape(target):
            rows, columns = base.shape(target)
            raise SeedforgeError(
                f"the adapter trains {name} as {matrix.shape[0]}x{matrix.shape[1]} and {base.path.name} "
                f"has {rows}x{columns}: an extended vocabulary needs a GGUF of the extended model "
                "(seedforge merge, then llama.cpp's convert_hf_to_gguf.py)",
                path=adapter_dir,
            )


def base_gguf_for(adapter_dir: Path, base: Path | None) -> Path:
    """`base` when given, else the GGUF the adapter's base folder was converted from."""
    if base is not None:
        return base
    from pipeline.train.base_model import source_gguf
    from pipeline.train.export import adapter_base

    recorded = Path(adapter_base(adapter_dir))
    found = source_gguf(recorded) if recorded.is_dir() else None
    if found is None:
        raise SeedforgeError(
            f"the adapter's base {recorded} was not converted from a GGUF that is still here: "
            "pass --base FILE.gguf (a GGUF of that base)",
            path=adapter_dir,
        )
    return found


def write_lora(adapter_dir: Path, base_path: Path, out: Path) -> Path:
    """A GGUF LoRA of `adapter_dir` for the base GGUF `base_path`."""
    import gguf

    adapter, base = read_adapter(adapter_dir), BaseGGUF(base_path)
    check_fits(adapter, base, adapter_dir)
    if adapter.whole:
        raise SeedforgeError(
            f"the adapter trains whole matrices ({', '.join(sorted(adapter.whole))}), which a GGUF LoRA "
            "cannot carry: export it with --merged",
            path=adapter_dir,
        )
    with atomic_path(out) as staging:
        writer = gguf.GGUFWriter(str(staging), base.architecture)
        writer.add_type(gguf.GGUFType.ADAPTER)
        writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
        writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, adapter.alpha)
        for name, (a, b) in sorted(adapter.pairs.items()):
            writer.add_tensor(f"{name}.lora_a", np.ascontiguousarray(a))
            writer.add_tensor(f"{name}.lora_b", np.ascontiguousarray(base.rows_permuted(name, b)))
        _finish(writer)
    return out


def check_lora_file(lora: Path, base_path: Path) -> None:
    """A GGUF LoRA that llama.cpp would apply to `base_path`: an adapter file whose every
    lora_a / lora_b pair fits a tensor of the base. llama.cpp's own refusal is a log line and
    a server that never comes up; this one names the file and the tensor."""
    import gguf

    if lora.is_dir():
        raise SeedforgeError(
            "a folder: convert a PEFT adapter first (seedforge export gguf ADAPTER)", path=lora
        )
    if not lora.is_file():
        raise SeedforgeError("adapter file not found", path=lora)
    try:
        reader = gguf.GGUFReader(str(lora))
    except (ValueError, OSError) as exc:
        raise SeedforgeError(f"not a readable GGUF file ({exc})", path=lora) from None
    kind = reader.fields.get("general.type")
    if kind is None or kind.contents() != "adapter":
        raise SeedforgeError("not a GGUF LoRA adapter (general.type is not 'adapter')", path=lora)
    base = BaseGGUF(base_path)
    shapes = {tensor.name: [int(n) for n in tensor.shape] for tensor in reader.tensors}
    for name, shape in sorted(shapes.items()):
        target, _, part = name.rpartition(".")
        if part not in ("lora_a", "lora_b") or target not in base.tensors:
            raise SeedforgeError(
                f"the adapter was made for another base: {name} has no tensor in {base.path.name}", path=lora
            )
        columns, rows = (int(n) for n in base.tensors[target].shape[:2])
        fits = shape[0] == columns if part == "lora_a" else shape[1] == rows
        if not fits:
            raise SeedforgeError(
                f"the adapter was made for another base: {name} is {shape}, "
                f"{target} in {base.path.name} is {[columns, rows]}",
                path=lora,
            )


def _finish(writer: Any) -> None:
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def _copy_fields(reader: Any, writer: Any) -> None:
    import gguf

    for key, field in reader.fields.items():
        if key.startswith("GGUF.") or key == "general.architecture":
            continue  # the writer writes these itself
        kind = field.types[0]
        sub = field.types[-1] if kind == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(key, field.contents(), kind, sub_type=sub)


def write_merged(
    adapter_dir: Path, base_path: Path, out: Path, outtype: Literal["f16", "f32"] = "f16"
) -> Path:
    """The base GGUF with the adapter merged into the tensors it adapts (and whole matrices it
    trained put in place): a model llama.cpp serves without any adapter."""
    import gguf

    adapter, base = read_adapter(adapter_dir), BaseGGUF(base_path)
    check_fits(adapter, base, adapter_dir)
    dtype = np.float16 if outtype == "f16" else np.float32
    with atomic_path(out) as staging:
        writer = gguf.GGUFWriter(str(staging), base.architecture)
        _copy_fields(base.reader, writer)
        for tensor in base.reader.tensors:
            name = tensor.name
            if name in adapter.pairs:
                a, b = adapter.pairs[name]
                weights = gguf.quants.dequantize(tensor.data, tensor.tensor_type).reshape(base.shape(name))
                merged = weights.astype(np.float32) + adapter.scale * base.rows_permuted(name, b @ a)
                writer.add_tensor(name, merged.astype(dtype))
            elif name in adapter.whole:
                writer.add_tensor(name, adapter.whole[name].astype(dtype))
            else:
                writer.add_tensor(
                    name, tensor.data, raw_shape=tensor.data.shape, raw_dtype=tensor.tensor_type
                )
        _finish(writer)
    return out
