"""`seedforge train DATASET --out DIR` (LoRA fine-tuning with alpaca-lora's options; the
underscore spellings of alpaca-lora's finetune.py work too) and `seedforge merge ADAPTER
--out DIR` (a standalone HF model)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from pipeline.commands.choices import Device, DType, LoadIn, Overlength, Precision
from pipeline.commands.common import PANEL_TRAIN, fail
from pipeline.errors import SeedforgeError
from pipeline.train.config import TrainConfig

_DEFAULTS = TrainConfig()


def _opt(name: str, help_text: str, *extra: str, show_default: bool | str = True) -> Any:
    return typer.Option(f"--{name}", *extra, help=help_text, show_default=show_default)


def _flag(name: str, help_text: str) -> Any:
    return typer.Option(f"--{name}/--no-{name}", help=help_text)


def _dashes(name: str) -> str:
    """alpaca-lora's finetune.py spells options with underscores (--batch_size): accept both.
    click hands over option names without their leading dashes."""
    return name.replace("_", "-")


def parse_target_modules(value: str) -> list[str] | str:
    """'q_proj,v_proj', alpaca-lora's '[q_proj,v_proj]', or 'all-linear'."""
    names = [part.strip(" '\"") for part in value.strip().strip("[]").split(",")]
    names = [name for name in names if name]
    if not names:
        raise SeedforgeError("--lora-target-modules names no module")
    if names in (["all-linear"], ["all_linear"]):
        return "all-linear"
    return names


def _train_config(values: dict[str, Any]) -> TrainConfig:
    from pydantic import ValidationError

    try:
        return TrainConfig(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise SeedforgeError(f"--{str(first['loc'][0]).replace('_', '-')}: {first['msg']}") from None


_TRAINING_LIBRARIES = r"(transformers|peft|accelerate|torch|trl)(\.|$)"


def _quiet_libraries() -> None:
    import warnings

    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    # the training libraries' notices of their own coming changes say nothing a user can act
    # on; a FutureWarning from anywhere else (seedforge, numpy, the user's code) still shows
    warnings.filterwarnings("ignore", category=FutureWarning, module=_TRAINING_LIBRARIES)


def train(
    dataset: Annotated[
        str,
        typer.Argument(
            help="Dataset version directory or name, or a JSON "
            "list / JSONL file of Alpaca or messages records"
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", "--output-dir", help="Output directory")],
    base_model: Annotated[
        Optional[str],
        _opt("base-model", "HF directory, GGUF or hub id", show_default="the embedded SmolLM2, cached as HF"),
    ] = None,
    template: Annotated[
        str,
        _opt(
            "template",
            "alpaca, belle, chat, or an alpaca-lora template "
            ".json (messages records always use the chat template)",
            "--prompt-template-name",
        ),
    ] = _DEFAULTS.template,
    cutoff_len: Annotated[int, _opt("cutoff-len", "Tokens per record at most")] = _DEFAULTS.cutoff_len,
    overlength: Annotated[Overlength, _opt("overlength", "Longer records: truncate or drop")] = Overlength(
        _DEFAULTS.overlength
    ),
    train_on_inputs: Annotated[
        bool, _flag("train-on-inputs", "Loss on prompt tokens too")
    ] = _DEFAULTS.train_on_inputs,
    add_eos: Annotated[
        bool, _flag("add-eos", "Append EOS to every answer (so the model learns to stop)")
    ] = _DEFAULTS.add_eos,
    val_set_size: Annotated[
        Optional[float],
        _opt(
            "val-set-size",
            "Validation records, or a fraction < 1",
            show_default="2000, at most a tenth of the data",
        ),
    ] = None,
    lora_r: Annotated[int, _opt("lora-r", "LoRA rank")] = _DEFAULTS.lora_r,
    lora_alpha: Annotated[int, _opt("lora-alpha", "LoRA alpha")] = _DEFAULTS.lora_alpha,
    lora_dropout: Annotated[float, _opt("lora-dropout", "LoRA dropout")] = _DEFAULTS.lora_dropout,
    lora_target_modules: Annotated[
        str, _opt("lora-target-modules", "Comma list of module names, or all-linear")
    ] = ",".join(_DEFAULTS.target_modules),
    num_epochs: Annotated[float, _opt("num-epochs", "Epochs", "--epochs")] = _DEFAULTS.epochs,
    learning_rate: Annotated[float, _opt("learning-rate", "Peak learning rate")] = _DEFAULTS.learning_rate,
    batch_size: Annotated[int, _opt("batch-size", "Records per optimizer step")] = _DEFAULTS.batch_size,
    micro_batch_size: Annotated[
        int, _opt("micro-batch-size", "Records (rows when packing) per forward pass")
    ] = _DEFAULTS.micro_batch_size,
    warmup_steps: Annotated[
        int, _opt("warmup-steps", "Warmup steps, at most a tenth of the run")
    ] = _DEFAULTS.warmup_steps,
    weight_decay: Annotated[float, _opt("weight-decay", "AdamW weight decay")] = _DEFAULTS.weight_decay,
    max_grad_norm: Annotated[
        float, _opt("max-grad-norm", "Gradient clipping, 0 = off")
    ] = _DEFAULTS.max_grad_norm,
    group_by_length: Annotated[
        bool, _flag("group-by-length", "Micro-batches of similar length")
    ] = _DEFAULTS.group_by_length,
    packing: Annotated[
        bool, _flag("packing", "Several records per row, attention kept within each record")
    ] = _DEFAULTS.packing,
    eval_steps: Annotated[
        int, _opt("eval-steps", "Validation loss every N steps (and at the end)")
    ] = _DEFAULTS.eval_steps,
    save_steps: Annotated[
        int, _opt("save-steps", "Resumable checkpoint every N steps")
    ] = _DEFAULTS.save_steps,
    save_total_limit: Annotated[
        int, _opt("save-total-limit", "Checkpoints kept")
    ] = _DEFAULTS.save_total_limit,
    seed: Annotated[
        int, _opt("seed", "Seed for data order, validation split, LoRA init and dropout")
    ] = _DEFAULTS.seed,
    threads: Annotated[
        Optional[int], _opt("threads", "torch threads", show_default="SEEDFORGE_TORCH_THREADS, else 1")
    ] = None,
    device: Annotated[Device, _opt("device", "Where to train: auto = cuda, else mps, else cpu")] = Device(
        _DEFAULTS.device
    ),
    precision: Annotated[
        Precision,
        _opt(
            "precision",
            "auto = bf16 on CUDA where supported, else fp16 (loss-scaled); on the CPU bf16 with "
            "AVX512-BF16/AMX, else fp32",
        ),
    ] = Precision(_DEFAULTS.precision),
    gradient_checkpointing: Annotated[
        bool, _flag("gradient-checkpointing", "Recompute activations in backward: less memory, more time")
    ] = _DEFAULTS.gradient_checkpointing,
    load_in: Annotated[
        Optional[LoadIn],
        _opt("load-in", "Quantise the frozen base (QLoRA; CUDA and bitsandbytes)", show_default="off"),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue from the newest checkpoint in --out")
    ] = False,
    resume_from_checkpoint: Annotated[
        Optional[Path], _opt("resume-from-checkpoint", "Continue from this checkpoint directory")
    ] = None,
    merge: Annotated[
        bool,
        typer.Option(
            "--merge", help="Also write OUT/merged: the adapter merged into the base, a standalone HF model"
        ),
    ] = False,
) -> None:
    """LoRA-tune a base model on a dataset: writes OUT/adapter, metrics.json, loss.png and
    run_card.md (resumable checkpoints in OUT/checkpoints)."""
    from pipeline.train.runner import run_training

    try:
        config = _train_config(
            {
                "base_model": base_model,
                "template": template,
                "cutoff_len": cutoff_len,
                "overlength": overlength.value,
                "train_on_inputs": train_on_inputs,
                "add_eos": add_eos,
                "val_set_size": val_set_size
                if val_set_size is None or val_set_size < 1
                else int(val_set_size),
                "lora_r": lora_r,
                "lora_alpha": lora_alpha,
                "lora_dropout": lora_dropout,
                "target_modules": parse_target_modules(lora_target_modules),
                "epochs": num_epochs,
                "learning_rate": learning_rate,
                "batch_size": batch_size,
                "micro_batch_size": micro_batch_size,
                "warmup_steps": warmup_steps,
                "weight_decay": weight_decay,
                "max_grad_norm": max_grad_norm,
                "group_by_length": group_by_length,
                "packing": packing,
                "eval_steps": eval_steps,
                "save_steps": save_steps,
                "save_total_limit": save_total_limit,
                "seed": seed,
                "torch_threads": threads,
                "device": device.value,
                "precision": precision.value,
                "gradient_checkpointing": gradient_checkpointing,
                "load_in": load_in.value if load_in else None,
            }
        )
        _quiet_libraries()
        run_training(dataset, out, config, resume=resume_from_checkpoint or resume, merge=merge)
    except SeedforgeError as exc:
        fail(exc)


def merge(
    adapter: Annotated[Path, typer.Argument(help="Adapter directory (OUT/adapter of a training run)")],
    out: Annotated[Path, typer.Option("--out", "-o", help="New directory for the merged model")],
    base_model: Annotated[
        Optional[str], typer.Option(help="Base model", show_default="the one adapter_config.json names")
    ] = None,
    dtype: Annotated[DType, typer.Option(help="Weights of the merged model")] = DType.float32,
) -> None:
    """Merge a LoRA adapter into its base: a standalone HF directory, no PEFT needed."""
    from pipeline.train.base_model import configure_torch
    from pipeline.train.export import merge_adapter

    try:
        _quiet_libraries()
        configure_torch()
        path = merge_adapter(adapter, out, base_model=base_model, dtype=dtype.value)
    except SeedforgeError as exc:
        fail(exc)
    typer.echo(f"merged model: {path}")


def register(app: typer.Typer) -> None:
    app.command(context_settings={"token_normalize_func": _dashes}, rich_help_panel=PANEL_TRAIN)(train)
    app.command(rich_help_panel=PANEL_TRAIN)(merge)
