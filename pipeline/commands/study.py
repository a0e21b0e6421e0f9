"""`seedforge study sizes DATASET --sizes 0.1,0.25,0.5,1.0 --out DIR`: BELLE's size study —
how much instruction data each task category needs (docs/size-study.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from pipeline.commands.choices import StudyMetric
from pipeline.commands.common import PANEL_TRAIN, fail
from pipeline.errors import SeedforgeError

study_app = typer.Typer(no_args_is_help=True, help="Studies over a dataset version (the size study).")
_CONFIG = "the --config file's, else "  # options override the study's settings file


def _floats(value: str) -> list[float]:
    try:
        return [float(part) for part in value.split(",") if part.strip()]
    except ValueError:
        raise SeedforgeError(f"--sizes: expected comma-separated numbers, got {value!r}") from None


def _study_config(config_file: Optional[Path], overrides: dict[str, Any]) -> Any:
    from pydantic import ValidationError

    from pipeline.study.config import SizeStudyConfig
    from pipeline.yaml_input import read_yaml_mapping, validate_yaml

    data: dict[str, Any] = {}
    if config_file is not None:
        if not config_file.is_file():
            raise SeedforgeError("config file not found", path=config_file)
        data, text = read_yaml_mapping(config_file, contents="size-study settings")
        validate_yaml(SizeStudyConfig, data, text, config_file)
    merged = {**data, **{k: v for k, v in overrides.items() if v is not None}}
    for section in ("train", "evaluate"):  # options override single keys of a section
        if overrides.get(section):
            merged[section] = {**(data.get(section) or {}), **overrides[section]}
    try:
        return SizeStudyConfig.model_validate(merged)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise SeedforgeError(f"{where}: {first['msg']}") from None


def sizes(
    dataset: Annotated[str, typer.Argument(help="Dataset version directory or name (its latest version)")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Study folder; rerun with the same one to resume")],
    sizes: Annotated[
        Optional[str],
        typer.Option(
            "--sizes",
            help="Increasing fractions (<= 1) or record counts",
            show_default=_CONFIG + "0.25,0.5,1.0",
        ),
    ] = None,
    categories: Annotated[
        Optional[str],
        typer.Option("--categories", help="Comma list: study only these", show_default="every category"),
    ] = None,
    eval_set: Annotated[
        Optional[Path],
        typer.Option(
            "--eval-set", help="Eval file with categories", show_default="the version's held-out split"
        ),
    ] = None,
    config_file: Annotated[
        Optional[Path],
        typer.Option("--config", help="YAML with the study's settings (train:, evaluate:, judge:, …)"),
    ] = None,
    metric: Annotated[
        Optional[StudyMetric],
        typer.Option("--metric", help="What the curves measure", show_default=_CONFIG + "auto"),
    ] = None,
    margin: Annotated[
        Optional[float], typer.Option("--margin", help="Saturation margin", show_default=_CONFIG + "0.02")
    ] = None,
    seed: Annotated[
        Optional[int], typer.Option("--seed", help="Subset sampling seed", show_default=_CONFIG + "0")
    ] = None,
    epochs: Annotated[
        Optional[float],
        typer.Option("--epochs", help="Training epochs per size", show_default=_CONFIG + "3"),
    ] = None,
    base_model: Annotated[
        Optional[str],
        typer.Option(
            "--base-model", help="HF directory or GGUF", show_default=_CONFIG + "the embedded SmolLM2"
        ),
    ] = None,
    judge: Annotated[
        Optional[bool],
        typer.Option(
            "--judge/--no-judge", help="Score answers with the LLM judge", show_default=_CONFIG + "off"
        ),
    ] = None,
    per_category: Annotated[
        Optional[bool],
        typer.Option(
            "--per-category/--no-per-category", help="Per-category curves", show_default=_CONFIG + "on"
        ),
    ] = None,
) -> None:
    """Train one adapter per nested subset size and score each on the same eval set, per task
    category: curves with confidence intervals, a verdict per category (still improving,
    saturated, not improving) and a suggested generation quota for the next build.
    Interrupted, it resumes from the adapters and evaluations already finished."""
    try:
        train: dict[str, Any] = {}
        if epochs is not None:
            train["epochs"] = epochs
        if base_model is not None:
            train["base_model"] = base_model
        overrides: dict[str, Any] = {
            "sizes": _floats(sizes) if sizes else None,
            "categories": [c.strip() for c in categories.split(",") if c.strip()] if categories else None,
            "metric": metric.value if metric else None,
            "margin": margin,
            "seed": seed,
            "per_category": per_category,
            "train": train or None,
            "evaluate": {"judge": judge} if judge is not None else None,
        }
        config = _study_config(config_file, overrides)
        from pipeline.study.build import build, prepare
        from pipeline.study.runners import local_run
        from pipeline.train.base_model import prepare_base_model

        inputs = prepare(dataset, config, out, eval_set)  # every check before the base model is prepared
        base = prepare_base_model(config.train.base_model)
        study = build(inputs, config, out, local_run(config, config.judge), base_model=base)
    except SeedforgeError as exc:
        fail(exc)
    for verdict in study["verdicts"]:
        typer.echo(f"{verdict['category']:>16}: {verdict['verdict']} (quota {verdict['suggested_quota']})")
    typer.echo(f"report: {out / 'report.md'}")


def register(app: typer.Typer) -> None:
    study_app.command("sizes")(sizes)
    app.add_typer(study_app, name="study", rich_help_panel=PANEL_TRAIN)
