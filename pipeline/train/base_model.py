"""The base model for training and evaluation: any local HF directory, a GGUF converted once
into a plain HF directory (Trainer and PEFT refuse GGUF-quantised objects), a `seedforge
pretrain` output directory (its merged model), or a hub id."""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pipeline.errors import SeedforgeError
from pipeline.io import publish_dir, staging_dir
from pipeline.llm.embedded import embedded_gguf_path
from pipeline.settings import data_dir, settings
from pipeline.train.hardware import CPU, Placement
from pipeline.train.memory import check_fits


def configure_torch(threads: int | None = None) -> None:
    """One thread by default: on 2 shared cores, 2 torch threads slow 10-20x under any load."""
    import torch

    torch.set_num_threads(threads or settings().torch_threads)


@contextmanager
def peft_wrapping() -> Iterator[None]:
    """Around PEFT wrapping a model (`get_peft_model`, `PeftModel.from_pretrained`): PEFT 0.21
    reads `model.is_gradient_checkpointing`, which transformers 5 deprecates with a FutureWarning
    that reached the user's terminal in `eval` and `merge`. Their call, not ours: that warning
    alone is silenced, here alone."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=r"`is_gradient_checkpointing` is deprecated", category=FutureWarning
        )
        yield


@contextmanager
def quiet_loading() -> Iterator[None]:
    """Around `from_pretrained`: transformers' "Loading weights" progress bar is not what a
    seedforge command reports; its own log says what is loaded. The bar comes back afterwards
    if it was on. (The GGUF reader's own bar is out of this switch's reach: `quiet_gguf_reading`.)"""
    from transformers.utils import logging as transformers_logging

    enabled = transformers_logging.is_progress_bar_enabled()
    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    try:
        yield
    finally:
        if enabled:
            transformers_logging.enable_progress_bar()  # type: ignore[no-untyped-call]


@contextmanager
def quiet_gguf_reading() -> Iterator[None]:
    """transformers' GGUF reader draws its own tqdm bar ("Converting and de-quantizing GGUF
    tensors"), which its progress-bar switch does not reach: it is replaced by a plain pass
    over the tensors while seedforge converts, and put back after."""
    from transformers import modeling_gguf_pytorch_utils

    gguf_reading: Any = modeling_gguf_pytorch_utils  # its tqdm is an import, not an export
    drawn = gguf_reading.tqdm
    gguf_reading.tqdm = lambda tensors, **_: tensors
    try:
        yield
    finally:
        gguf_reading.tqdm = drawn


def keep_hub_kernels_off() -> None:
    """Leave transformers' Hub kernels off unless the user asked for them (USE_HUB_KERNELS=YES).

    From transformers 5.2x, `from_pretrained` defaults to `use_kernels` and, on CUDA, the first
    `model.train()` swaps layers for kernels fetched from the Hugging Face Hub: code downloaded
    and run with no one asking, and on an offline GPU machine a ValueError before the first
    step (seen on an H200 with transformers 5.25)."""
    os.environ.setdefault("USE_HUB_KERNELS", "NO")


def models_root() -> Path:
    return data_dir() / "models"


def converted_dir_for(gguf: Path) -> Path:
    return models_root() / f"{gguf.stem.lower()}-hf"


GGUF_SOURCE = "gguf_source.json"  # in a converted folder: the GGUF it was made from


def source_gguf(model_dir: Path) -> Path | None:
    """The GGUF an HF folder was converted from, when seedforge converted it and the file is
    still there (folders converted before the marker existed: the embedded model by name)."""
    marker = model_dir / GGUF_SOURCE
    if marker.is_file():
        found = Path(json.loads(marker.read_text(encoding="utf-8"))["gguf"])
        return found if found.is_file() else None
    embedded = embedded_gguf_path()
    return embedded if model_dir.name == converted_dir_for(embedded).name else None


def convert_gguf(gguf: Path, target: Path) -> Path:
    """Dequantise a GGUF into an fp32 HF directory once; later calls reuse it."""
    if (target / "config.json").is_file():
        return target
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    keep_hub_kernels_off()
    with staging_dir(target) as staging, quiet_loading(), quiet_gguf_reading():
        loaded = AutoModelForCausalLM.from_pretrained(
            str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32
        )
        tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        # newer transformers mark a GGUF-loaded model as quantised and refuse to save it:
        # copy the dequantised weights into a plain model of the same config
        config = loaded.config
        if hasattr(config, "quantization_config"):
            del config.quantization_config
        model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)  # type: ignore[no-untyped-call]
        model.load_state_dict(loaded.state_dict())
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        (staging / GGUF_SOURCE).write_text(json.dumps({"gguf": str(gguf.resolve())}), encoding="utf-8")
        try:
            publish_dir(staging, target, replace=False)
        except OSError:
            if not (target / "config.json").is_file():  # not a concurrent conversion that won
                raise
    return target


PRETRAIN_SUMMARY = "pretrain.json"  # marks a `seedforge pretrain` output directory


def pretrained_model(out_dir: Path) -> Path:
    """The merged model of a pretraining run, the base for chaining into train and eval."""
    merged = out_dir / "merged"
    if not (merged / "config.json").is_file():
        raise SeedforgeError("pretraining output has no merged model (merged/config.json)", path=out_dir)
    return merged.resolve()


def prepare_base_model(spec: str | None) -> str:
    """Path (or hub id) that `from_pretrained` loads; the embedded GGUF when spec is empty."""
    if not spec:
        gguf = embedded_gguf_path()
        return str(convert_gguf(gguf, converted_dir_for(gguf)))
    path = Path(spec)
    if path.suffix == ".gguf":
        if not path.is_file():
            raise SeedforgeError("base model GGUF not found", path=path)
        return str(convert_gguf(path, converted_dir_for(path)))
    if path.exists():
        if (path / PRETRAIN_SUMMARY).is_file():
            return str(pretrained_model(path))
        if not (path / "config.json").is_file():
            raise SeedforgeError("base model directory has no config.json", path=path)
        return str(path.resolve())
    if spec.startswith((".", "/", "~")) or spec.count("/") > 1:
        raise SeedforgeError("base model not found", path=path)
    return spec  # a hub id; works where the user has a hub


def _missing(base_model: str, exc: Exception) -> SeedforgeError:
    return SeedforgeError(
        f"base model {base_model!r} cannot be loaded: not a local HF directory or GGUF, and "
        f"not in the local hub cache ({type(exc).__name__}: {str(exc).splitlines()[0][:160]})"
    )


def load_tokenizer(base_model: str) -> Any:
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(base_model)
    except (OSError, ValueError) as exc:
        raise _missing(base_model, exc) from None
    if tokenizer.eos_token_id is None:
        raise SeedforgeError(
            f"the tokenizer of {base_model!r} has no EOS token: a tuned model could never learn to stop"
        )
    return tokenizer


def pad_id_of(tokenizer: Any) -> int:
    """Padding is only ever placed where masks and labels already exclude it, so pad = eos
    (the embedded tokenizer's choice) is harmless here."""
    pad_id: int = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    return pad_id


def load_causal_lm(base_model: str, placement: Placement = CPU) -> Any:
    """The frozen base on its device, in the placement's weights dtype (quantised for QLoRA),
    with gradient checkpointing switched on when asked. Memory is checked first."""
    from transformers import AutoModelForCausalLM

    keep_hub_kernels_off()
    check_fits(base_model, placement)
    options: dict[str, Any] = {"dtype": placement.weights_dtype}
    if placement.load_in:
        from transformers import BitsAndBytesConfig

        options["quantization_config"] = BitsAndBytesConfig(  # type: ignore[no-untyped-call]
            load_in_4bit=placement.load_in == "4bit",
            load_in_8bit=placement.load_in == "8bit",
            bnb_4bit_quant_type="nf4",
            bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=placement.compute_dtype,
        )
        import torch

        options["device_map"] = {"": torch.cuda.current_device()}  # this process's GPU
    try:
        with quiet_loading():
            model = AutoModelForCausalLM.from_pretrained(base_model, **options)
    except (OSError, ValueError) as exc:
        raise _missing(base_model, exc) from None
    if placement.load_in:
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(  # type: ignore[no-untyped-call]
            model, use_gradient_checkpointing=placement.gradient_checkpointing
        )
    elif placement.device != "cpu":
        model = model.to(placement.device)  # type: ignore[arg-type]
    if placement.gradient_checkpointing:
        # the non-reentrant form keeps the RNG state, so dropout and the loss stay what they
        # were without checkpointing, and needs no input that requires grad under PEFT
        if hasattr(model, "activation_checkpointing_enable"):  # its name from transformers 5.2x
            model.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": False})
        else:
            model.gradient_checkpointing_enable(  # type: ignore[no-untyped-call]
                gradient_checkpointing_kwargs={"use_reentrant": False}
            )
        model.config.use_cache = False
    return model
