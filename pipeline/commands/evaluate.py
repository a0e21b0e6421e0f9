"""`seedforge eval`: a tuned adapter against its base on an eval set (ours or a user's)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from pipeline.commands.choices import Device, Engine
from pipeline.commands.common import PANEL_TRAIN, fail, llm_overrides, warn
from pipeline.errors import SeedforgeError


def _training_side(eval_set: Path) -> tuple[Path | None, dict[str, Any]]:
    """For a dataset version's held-out split: its train split and the curation settings."""
    folder = eval_set if eval_set.is_dir() else eval_set.parent
    train = folder / "train.jsonl"
    if not (eval_set.is_dir() or eval_set.name == "heldout.jsonl") or not train.is_file():
        return None, {}
    manifest = folder / "manifest.json"
    config = json.loads(manifest.read_text(encoding="utf-8")).get("config", {}) if manifest.is_file() else {}
    return train, config.get("curate") or {}


def _trained_with(adapter: Path) -> dict[str, Any]:
    """The training config saved beside the adapter (template, cutoff), when there is one:
    `seedforge train` writes it into run_card.json, older runs into metrics.json."""
    for name, key in (("run_card.json", "hyperparameters"), ("metrics.json", "config")):
        try:
            found = json.loads((adapter.parent / name).read_text(encoding="utf-8")).get(key)
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(found, dict):
            return found
    return {}


def _resolve_base(base_model: str | None, adapter: Path) -> str:
    from pipeline.evaluate.models import recorded_base
    from pipeline.train.base_model import prepare_base_model

    recorded = recorded_base(adapter)
    if base_model:
        given = prepare_base_model(base_model)
        if recorded and _same_model(recorded) != _same_model(given):
            warn(f"the adapter was trained on {recorded}; --base-model {given} is another model")
        return given
    return recorded or prepare_base_model(None)


def _same_model(name: str) -> str:
    """A model folder by its real path (links, relative names), a hub name as given."""
    return str(Path(name).resolve()) if Path(name).exists() else name


def evaluate(
    adapter: Annotated[
        Path, typer.Option(help="LoRA adapter directory (PEFT), or the folder `seedforge train --out` wrote")
    ],
    eval_set: Annotated[
        Path,
        typer.Option(
            help="JSON/JSONL eval file (BELLE, self-instruct "
            "user-oriented, Alpaca) or a dataset version directory"
        ),
    ],
    out: Annotated[Path, typer.Option(help="Output folder for report.md, report.json, items.jsonl, plots/")],
    base_model: Annotated[
        Optional[str],
        typer.Option(
            help="HF directory, GGUF or hub id",
            show_default="the adapter's recorded base, else the embedded model",
        ),
    ] = None,
    judge_base_url: Annotated[
        Optional[str],
        typer.Option(
            help="OpenAI-compatible judge endpoint", show_default="OPENAI_BASE_URL, else the embedded model"
        ),
    ] = None,
    judge_model: Annotated[
        Optional[str],
        typer.Option(help="Judge model name at that endpoint", show_default="the endpoint's only model"),
    ] = None,
    no_judge: Annotated[bool, typer.Option("--no-judge", help="Skip the LLM judge")] = False,
    no_semantic: Annotated[bool, typer.Option("--no-semantic", help="Skip semantic similarity")] = False,
    train_set: Annotated[
        Optional[Path],
        typer.Option(
            help="Training records to decontaminate against: a file as `train --data` takes, or a version",
            show_default="train.jsonl beside a heldout.jsonl",
        ),
    ] = None,
    template: Annotated[
        Optional[str],
        typer.Option(
            help="Prompt template: alpaca, belle, chat or an alpaca-lora template .json",
            show_default="the adapter's training template, else alpaca",
        ),
    ] = None,
    max_new_tokens: Annotated[int, typer.Option(min=1, help="Answer length limit")] = 192,
    batch_size: Annotated[int, typer.Option(min=1, help="Generation batch size")] = 8,
    device: Annotated[
        Device, typer.Option(help="Where answers and losses are computed: auto = cuda, else mps, else cpu")
    ] = Device.auto,
    engine: Annotated[
        Engine,
        typer.Option(help="What generates the answers (vllm: CUDA, installed separately, LoRA enabled)"),
    ] = Engine.transformers,
    limit: Annotated[
        Optional[int], typer.Option(min=1, help="Evaluate only the first N items", show_default="all")
    ] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing output folder")] = False,
) -> None:
    """Compare a tuned adapter with its base: ROUGE-L, semantic similarity, held-out loss, LLM
    judge scores per category and a pairwise win rate; writes a report folder atomically."""
    from pipeline.curate.config import CurateConfig
    from pipeline.dataset.versions import HELDOUT
    from pipeline.evaluate.config import EvaluateConfig
    from pipeline.evaluate.evalsets import load_eval_set
    from pipeline.evaluate.models import adapter_directory
    from pipeline.evaluate.run import EvalRequest, check_out_dir, run_evaluation
    from pipeline.llm.config import LLMConfig
    from pipeline.train.config import TrainConfig
    from pipeline.train.sources import load_training_data

    try:
        adapter = adapter_directory(adapter)  # a training run's folder: its adapter/
        check_out_dir(out, overwrite)
        source = eval_set / HELDOUT if eval_set.is_dir() else eval_set
        items = load_eval_set(source)[:limit]
        auto_train, curate = _training_side(eval_set)
        train_file = train_set or auto_train
        # what `train --data` reads: a plain Alpaca / chat file (JSON list or lines) or a version
        training = load_training_data(train_file).records if train_file else None
        trained = _trained_with(adapter)
        train_config = TrainConfig(
            template=template or trained.get("template", "alpaca"),
            cutoff_len=trained.get("cutoff_len", TrainConfig().cutoff_len),
        )
        # a judge URL without a model: the endpoint's only model (pipeline.llm.discovery)
        judge = None if no_judge else LLMConfig(**llm_overrides(base_url=judge_base_url, model=judge_model))
        request = EvalRequest(
            base_model=_resolve_base(base_model, adapter),
            adapter_dir=adapter,
            out_dir=out,
            train=train_config,
            settings=EvaluateConfig(
                max_new_tokens=max_new_tokens,
                generation_batch_size=batch_size,
                device=device.value,
                engine=engine.value,
                semantic_similarity=not no_semantic,
                judge=not no_judge,
            ),
            judge=judge,
            training_records=training,
            training_source=str(train_file) if train_file else None,
            curate=CurateConfig(**{k: curate[k] for k in ("rouge_threshold", "compare") if k in curate}),
            eval_set_name=source.name,
            eval_set_path=str(source),
            overwrite=overwrite,
        )
        report = run_evaluation(items, request)
    except SeedforgeError as exc:
        fail(exc)
    from pipeline.evaluate.report import verdict

    typer.echo(f"\n{verdict(report)}")
    typer.echo(f"report: {report['outputs']['report_md']}")


def register(app: typer.Typer) -> None:
    app.command("eval", rich_help_panel=PANEL_TRAIN)(evaluate)
