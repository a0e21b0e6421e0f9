"""`seedforge ingest PATH... --kb NAME`: load knowledge-base files into the versioned store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from pipeline.commands.common import PANEL_DATA, fail
from pipeline.errors import SeedforgeError


def ingest_command(
    paths: Annotated[
        list[Path], typer.Argument(help="CSV, TSV, JSON, JSONL, Markdown or text files, or directories")
    ],
    kb: Annotated[str, typer.Option("--kb", help="Knowledge-base name (a store under the data dir)")],
    mapping: Annotated[
        Optional[Path],
        typer.Option(
            "--mapping",
            help="YAML/JSON file: name field, fact fields, list fields, roles, domain, delimiter, encoding",
        ),
    ] = None,
) -> None:
    """Ingest knowledge-base files; prints new / changed / unchanged / removed entries per file.
    Re-ingesting an unchanged file changes nothing; a bad file changes nothing at all."""
    from pipeline.kb.ingest import ingest_files
    from pipeline.kb.store import kb_path
    from pipeline.settings import data_dir, resolve_path

    try:
        kb_path(data_dir(), kb)  # validates the name before anything is created
        # seeds/... falls back to the sample KB files shipped with the package
        report = ingest_files(data_dir(), kb, [resolve_path(p) for p in paths], mapping)
    except SeedforgeError as exc:
        fail(exc)
    for source in report.sources:
        counts = source.counts()
        typer.echo(f"{source.source}: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    totals = report.totals()
    typer.echo(
        f"kb {kb}: {totals['new']} new, {totals['changed']} changed, "
        f"{totals['unchanged']} unchanged, {totals['removed']} removed "
        f"({report.active} active entries in {report.store})"
    )


def register(app: typer.Typer) -> None:
    app.command("ingest", rich_help_panel=PANEL_DATA)(ingest_command)
