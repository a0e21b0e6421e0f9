"""`seedforge pretrain CORPUS --out DIR`: continued causal-LM pretraining (LoRA, plus the
embeddings when the vocabulary was extended) on a corpus built with `seedforge corpus build`.
Options given on the command line override the --config file's values."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from pipeline.commands.choices import Device, LoadIn, Precision
from pipeline.commands.common import PANEL_TRAIN, fail, warn
from pipeline.errors import SeedforgeError
from pipeline.pretrain.config import EmbeddingsChoice, PretrainConfig, load_pretrain_config
from pipeline.user_files import output_folder_kept_only_if_used

_DEFAULTS = PretrainConfig()


def _opt(name: str, help_text: str, default: Any) -> Any:
    return typer.Option(f"--{name}", help=help_text, show_default=f"the config file's, else {default}")


def _config(config_file: Path | None, overrides: dict[str, Any]) -> PretrainConfig:
    from pydantic import ValidationError

    base = load_pretrain_config(config_file) if config_file else PretrainConfig()
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return PretrainConfig.model_validate({**base.model_dump(), **given})
    except ValidationError as exc:
        first = exc.errors()[0]
        raise SeedforgeError(f"--{str(first['loc'][0]).replace('_', '-')}: {first['msg']}") from None


def _print_summary(summary: dict[str, Any], out: Path) -> None:
    for name, entry in summary["perplexity"].items():
        if "skipped" in entry:
            typer.echo(f"{name} perplexity: skipped ({entry['skipped']})")
        else:
            typer.echo(
                f"{name} perplexity: {entry['before']:.3f} -> {entry['after']:.3f} ({entry['blocks']} blocks)"
            )
    typer.echo(f"{summary['steps']} steps, {summary['tokens_per_second']} tokens/s")
    for label, path in (("adapter", summary["adapter"]), ("merged model", summary["merged"])):
        typer.echo(f"  {label:<13} {path}")
    typer.echo(f"  {'summary':<13} {out / 'pretrain.json'}")


def pretrain(
    corpus: Annotated[
        str, typer.Argument(help="Corpus name (its latest version), NAME@vN, or a version directory")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory")],
    vocab: Annotated[
        Optional[Path],
        typer.Option("--vocab", help="Extended-vocabulary model directory (seedforge vocab extend)"),
    ] = None,
    base_model: Annotated[
        Optional[str],
        typer.Option(
            "--base-model",
            help="HF directory, GGUF or hub id",
            show_default="the embedded SmolLM2 (or --vocab's model)",
        ),
    ] = None,
    config_file: Annotated[
        Optional[Path],
        typer.Option("--config", help="YAML file of pretrain settings (top level or `pretrain:`)"),
    ] = None,
    general: Annotated[
        Optional[Path],
        typer.Option(
            "--general",
            help="General text for the forgetting check (perplexity before and after)",
            show_default="the shipped seeds/corpora/general_en.txt",
        ),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue from the newest checkpoint in --out")
    ] = False,
    epochs: Annotated[
        Optional[float], _opt("epochs", "Epochs over the training blocks", _DEFAULTS.epochs)
    ] = None,
    max_steps: Annotated[Optional[int], _opt("max-steps", "Stop after N optimizer steps", "no limit")] = None,
    learning_rate: Annotated[
        Optional[float], _opt("learning-rate", "Peak learning rate", _DEFAULTS.learning_rate)
    ] = None,
    batch_size: Annotated[
        Optional[int], _opt("batch-size", "Blocks per optimizer step", _DEFAULTS.batch_size)
    ] = None,
    micro_batch_size: Annotated[
        Optional[int], _opt("micro-batch-size", "Blocks per forward pass", _DEFAULTS.micro_batch_size)
    ] = None,
    lora_r: Annotated[Optional[int], _opt("lora-r", "LoRA rank", _DEFAULTS.lora_r)] = None,
    lora_alpha: Annotated[Optional[int], _opt("lora-alpha", "LoRA alpha", _DEFAULTS.lora_alpha)] = None,
    train_embeddings: Annotated[
        Optional[EmbeddingsChoice],
        _opt("train-embeddings", "Train and save embeddings and output head (auto: with --vocab)", "auto"),
    ] = None,
    eval_blocks: Annotated[
        Optional[int], _opt("eval-blocks", "Held-out blocks the perplexity covers", _DEFAULTS.eval_blocks)
    ] = None,
    eval_steps: Annotated[
        Optional[int], _opt("eval-steps", "Held-out loss every N steps", _DEFAULTS.eval_steps)
    ] = None,
    save_steps: Annotated[
        Optional[int], _opt("save-steps", "Resumable checkpoint every N steps", _DEFAULTS.save_steps)
    ] = None,
    seed: Annotated[
        Optional[int], _opt("seed", "Seed for block order, LoRA init and dropout", _DEFAULTS.seed)
    ] = None,
    threads: Annotated[
        Optional[int], _opt("threads", "torch threads", "SEEDFORGE_TORCH_THREADS, else 1")
    ] = None,
    device: Annotated[
        Optional[Device], _opt("device", "Where to train (auto = cuda, else mps, else cpu)", "auto")
    ] = None,
    precision: Annotated[
        Optional[Precision],
        _opt(
            "precision",
            "Compute dtype (auto = bf16 on CUDA where supported, else fp16 loss-scaled; on the CPU bf16 "
            "with AVX512-BF16/AMX, else fp32)",
            "auto",
        ),
    ] = None,
    gradient_checkpointing: Annotated[
        Optional[bool],
        typer.Option(
            "--gradient-checkpointing/--no-gradient-checkpointing",
            help="Recompute activations in backward: less memory, more time",
            show_default="the config file's, else off",
        ),
    ] = None,
    load_in: Annotated[
        Optional[LoadIn], _opt("load-in", "Quantise the frozen base (QLoRA; CUDA and bitsandbytes)", "off")
    ] = None,
) -> None:
    """Continue pretraining a base model on a corpus's blocks: writes OUT/adapter, OUT/merged (for
    `seedforge train --base-model OUT`), metrics.json, loss.png, run_card.md and pretrain.json
    (held-out perplexity before and after, on the corpus and on a general text)."""
    from pipeline.commands.train import _quiet_libraries
    from pipeline.pretrain.run import PretrainHooks
    from pipeline.pretrain.run import pretrain as run_pretrain
    from pipeline.train.loop import TrainingInterrupted
    from pipeline.train.runner import TrainProgress

    try:
        config = _config(
            config_file,
            {
                "base_model": base_model,
                "epochs": epochs,
                "max_steps": max_steps,
                "learning_rate": learning_rate,
                "batch_size": batch_size,
                "micro_batch_size": micro_batch_size,
                "lora_r": lora_r,
                "lora_alpha": lora_alpha,
                "train_embeddings": train_embeddings.value_for_config() if train_embeddings else None,
                "eval_blocks": eval_blocks,
                "eval_steps": eval_steps,
                "save_steps": save_steps,
                "seed": seed,
                "torch_threads": threads,
                "device": device.value if device else None,
                "precision": precision.value if precision else None,
                "gradient_checkpointing": gradient_checkpointing,
                "load_in": load_in.value if load_in else None,
            },
        )
        _quiet_libraries()
        progress = TrainProgress(_console())

        def on_start(total: int, done: int, info: dict[str, Any]) -> None:
            before = ", ".join(f"{k} {v:.3f}" for k, v in info["before"].items() if v is not None)
            progress.console.print(f"{info['blocks']} training blocks; perplexity before: {before or '-'}")
            if done:
                progress.console.print(f"resuming at step {done} of {total}")
            progress.progress.start()
            progress.task = progress.progress.add_task(
                "pretrain", total=total, completed=done, loss="-", val="-"
            )

        hooks = PretrainHooks(
            on_start=on_start, on_step=progress.on_step, on_eval=progress.on_eval, on_note=warn
        )
        try:
            with output_folder_kept_only_if_used(out):  # failing before it wrote: no empty --out
                result = run_pretrain(
                    corpus, out, config, vocab=vocab, general=general, resume=resume, hooks=hooks
                )
        finally:
            progress.stop()
    except TrainingInterrupted as exc:
        where = f"checkpoint {exc.checkpoint}" if exc.checkpoint else "the last periodic checkpoint"
        typer.echo(
            f"interrupted after step {exc.step}; to continue from {where}, run the same command "
            "again with --resume (same options: a changed one is refused)",
            err=True,
        )
        raise typer.Exit(code=130) from None
    except SeedforgeError as exc:
        fail(exc)
    _print_summary(result.summary, out)


def _console() -> Any:
    from rich.console import Console

    return Console(stderr=True)


def register(app: typer.Typer) -> None:
    app.command(rich_help_panel=PANEL_TRAIN)(pretrain)
