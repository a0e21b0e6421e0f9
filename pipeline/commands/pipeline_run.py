"""`seedforge demo` and `seedforge run CONFIG`: the whole loop as a Prefect flow."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer

from pipeline.commands.common import (
    PANEL_DATA,
    PANEL_PIPELINE,
    exit_on_budget_stop,
    fail,
    prefect_defaults,
    warn,
)
from pipeline.errors import SeedforgeError


def _preflight(config: Any) -> None:
    """What the flow checks before it writes anything (the journal's location, a configured
    endpoint), checked here first: a mistake is one line, not a flow run failing in Prefect's
    log, and nothing waits for Prefect's server to start."""
    from pipeline.llm.endpoint import check_endpoint
    from pipeline.llm.journal_location import check_journal

    check_journal()
    check_endpoint(config.llm)


def _run_pipeline(config: Any) -> dict[str, Any]:
    prefect_defaults()
    from flows.seedforge_pipeline import seedforge_pipeline

    return seedforge_pipeline(config=config)


def _print_summary(summary: dict[str, Any], seconds: float) -> None:
    evaluation = summary["evaluate"]
    typer.echo("")
    typer.echo(f"seedforge run {summary['build']} finished in {seconds:.0f} s")
    for name, path in summary["outputs"].items():
        typer.echo(f"  {name:<18} {path}")
    verdict = "tuned is better" if evaluation["tuned_better"] else "tuned is NOT better"
    typer.echo(
        f"held-out loss: base {evaluation['base_loss']:.4f}, tuned {evaluation['tuned_loss']:.4f} ({verdict})"
    )


def demo() -> None:
    """Run the whole loop at a small size on the embedded model: generate, curate, version,
    LoRA-train and evaluate tuned vs base, as a Prefect flow."""
    from pipeline.config import demo_config

    started = time.monotonic()
    try:
        summary = _run_pipeline(demo_config())
    except SeedforgeError as exc:
        fail(exc)
    _print_summary(summary, time.monotonic() - started)


def run(config_file: Annotated[Path, typer.Argument(help="YAML run config (see seeds/configs/)")]) -> None:
    """Run the whole loop with the settings of a YAML config file."""
    from pipeline.config import load_config
    from pipeline.generate.self_instruct.seeds import load_seed_tasks

    started = time.monotonic()
    try:
        config = load_config(config_file)
        load_seed_tasks(config.generate.seeds)  # fail before any server or flow starts
        _preflight(config)
        summary = _run_pipeline(config)
    except SeedforgeError as exc:
        fail(exc)
    _print_summary(summary, time.monotonic() - started)


def build(
    config_file: Annotated[Path, typer.Argument(help="YAML build config (see seeds/configs/nightly.yaml)")],
) -> None:
    """Build the next version of a dataset: new records on top of what earlier builds of the
    same name kept (an unfinished build is resumed), curated against all of them, versioned,
    exported and reported (the build-dataset flow, with the same fields as its form in the
    Prefect UI). A build the budget stopped short of its target publishes what it made and
    exits 4; run it again with more budget to resume."""
    from pipeline.build.history import check_settings
    from pipeline.config import BuildConfig, load_config
    from pipeline.dataset.versions import datasets_root
    from pipeline.generate.self_instruct.seeds import load_seed_tasks

    started = time.monotonic()
    try:
        config = load_config(config_file, BuildConfig)
        load_seed_tasks(config.generate.seeds)
        check_settings(config, datasets_root())  # a language that differs from the dataset's
        _preflight(config)
        prefect_defaults()
        from flows.build_dataset import build_dataset

        summary = build_dataset(config)
    except SeedforgeError as exc:
        fail(exc)
    _print_build(summary, time.monotonic() - started)
    generated = summary.get("generate") or {}
    stop, kept = generated.get("stop_reason"), generated.get("kept", 0)
    if kept < config.generate.target:
        warn(f"{kept} of {config.generate.target} records accepted before the {stop} stop")
    exit_on_budget_stop(stop, short_of_target=kept < config.generate.target)


def _print_build(summary: dict[str, Any], seconds: float) -> None:
    from pipeline.llm.budget import format_cost

    data, growth = summary["dataset"], summary["growth"]
    typer.echo("")
    typer.echo(
        f"build {summary['build']} finished in {seconds:.0f} s" + (" (resumed)" if growth["resumed"] else "")
    )
    typer.echo(f"  dataset version    {data['path'] or '(none)'}" + ("" if data["new"] else " (unchanged)"))
    typer.echo(
        f"  new records        {growth['added']} (train {growth['added_train']}, held-out "
        f"{growth['added_heldout']}); {growth['total']} in the version"
    )
    typer.echo(f"  earlier duplicates {growth['dropped_as_duplicates_of_earlier_builds']} dropped")
    typer.echo(f"  requests sent      {growth['requests_sent']} ({growth['journal_hits']} from the journal)")
    llm = (summary.get("generate") or {}).get("llm") or {}
    if llm:
        typer.echo(
            f"  cost               {format_cost(llm.get('cost_usd', 0.0), llm.get('unpriced_tokens', 0))}"
        )
    if growth["nothing_added"]:
        typer.echo(f"  added nothing      {growth['why']}")
    typer.echo(f"  report             {summary['report']}")


def register(app: typer.Typer) -> None:
    app.command(rich_help_panel=PANEL_PIPELINE)(demo)
    app.command(rich_help_panel=PANEL_PIPELINE)(run)
    app.command(rich_help_panel=PANEL_DATA)(build)
