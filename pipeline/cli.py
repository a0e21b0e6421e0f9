"""The `seedforge` command. Command groups live in `pipeline/commands/`, one module per area;
heavy imports (torch, transformers, prefect) happen inside the commands that need them, so
`seedforge --help` starts fast."""

from __future__ import annotations

import typer

from pipeline.commands import register_all

app = typer.Typer(
    name="seedforge",
    no_args_is_help=True,
    add_completion=False,
    help="Self-instruct and knowledge-grounded instruction data: generate, curate, train, evaluate.",
)
register_all(app)

if __name__ == "__main__":
    app()
