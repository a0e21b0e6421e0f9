"""`seedforge generate ...`: the group that generator commands attach to (self-instruct in
`generate_self_instruct.py`, knowledge-base dialogues in `generate_dialogues.py`)."""

from __future__ import annotations

import typer

from pipeline.commands.common import PANEL_GENERATE

generate_app = typer.Typer(no_args_is_help=True, help="Generate candidate records with an LLM.")


def register(app: typer.Typer) -> None:
    app.add_typer(generate_app, name="generate", rich_help_panel=PANEL_GENERATE)
