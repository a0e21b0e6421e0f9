"""The `seedforge` command. Heavy imports (torch, transformers, prefect) happen inside the
commands that need them, so `seedforge --help` starts fast."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from pipeline.errors import SeedforgeError

app = typer.Typer(
    name="seedforge", no_args_is_help=True, add_completion=False,
    help="Self-instruct and knowledge-grounded instruction data: generate, curate, train, evaluate.",
)
llm_app = typer.Typer(no_args_is_help=True, help="The embedded OpenAI-compatible model server.")
app.add_typer(llm_app, name="llm")


def _fail(exc: Exception) -> None:
    typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=2)


def _prefect_defaults() -> None:
    # the 20 s default times out on 2 busy cores; analytics would try the network
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


def _run_pipeline(config: Any) -> dict[str, Any]:
    _prefect_defaults()
    from flows.pipeline import seedforge_pipeline

    return seedforge_pipeline(config=config)


def _print_summary(summary: dict[str, Any], seconds: float) -> None:
    evaluation = summary["evaluate"]
    typer.echo("")
    typer.echo(f"seedforge run {summary['build']} finished in {seconds:.0f} s")
    for name, path in summary["outputs"].items():
        typer.echo(f"  {name:<18} {path}")
    verdict = "tuned is better" if evaluation["tuned_better"] else "tuned is NOT better"
    typer.echo(f"held-out loss: base {evaluation['base_loss']:.4f}, tuned {evaluation['tuned_loss']:.4f}"
               f" ({verdict})")


@app.command()
def demo() -> None:
    """Run the whole loop at a small size on the embedded model: generate, curate, version,
    LoRA-train and evaluate tuned vs base, as a Prefect flow."""
    from pipeline.config import demo_config

    started = time.monotonic()
    try:
        summary = _run_pipeline(demo_config())
    except SeedforgeError as exc:
        _fail(exc)
    _print_summary(summary, time.monotonic() - started)


@app.command()
def run(config_file: Annotated[Path, typer.Argument(help="YAML run config (see seeds/configs/)")]) -> None:
    """Run the whole loop with the settings of a YAML config file."""
    from pipeline.config import load_config

    started = time.monotonic()
    try:
        config = load_config(config_file)
        from pipeline.generate.seeds import load_seed_tasks

        load_seed_tasks(config.generate.seeds)  # fail before any server or flow starts
        summary = _run_pipeline(config)
    except SeedforgeError as exc:
        _fail(exc)
    _print_summary(summary, time.monotonic() - started)


@llm_app.command("serve")
def llm_serve(
    port: Annotated[Optional[int], typer.Option(help="Port (default: a free one)")] = None,
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    model: Annotated[Optional[Path], typer.Option(help="GGUF file (default: embedded SmolLM2)")] = None,
) -> None:
    """Serve the embedded model (OpenAI-compatible) in the foreground until Ctrl-C."""
    from pipeline.llm.embedded import EmbeddedServer

    server = EmbeddedServer(model=model, port=port, host=host)
    try:
        server.start()
    except SeedforgeError as exc:
        _fail(exc)
    typer.echo(f"serving at {server.base_url} (Ctrl-C to stop)")
    sys.stdout.flush()
    try:
        assert server.process is not None
        server.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    app()
