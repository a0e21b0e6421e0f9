"""`seedforge export VERSION --format FORMAT --out DIR` (the same as `seedforge export dataset
...`): one format of a dataset version, its train and test (held-out) splits, into a new folder
(written aside, then renamed into place). A version that is not there, a record the format
cannot hold or an output folder that holds anything (without --overwrite) exits 2 with nothing
written. `seedforge export gguf` (a tuned adapter for llama.cpp) is in `export_gguf.py`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from typer.core import TyperGroup

from pipeline.commands.common import fail
from pipeline.dataset.config import ExportFormat
from pipeline.errors import SeedforgeError


class _DatasetByDefault(TyperGroup):
    """A group whose first word may also be a dataset version: `seedforge export VERSION ...`
    is `seedforge export dataset VERSION ...`, as it was before models could be exported."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] not in self.commands:
            args = ["dataset", *args]
        return super().resolve_command(ctx, args)


export_app = typer.Typer(
    cls=_DatasetByDefault,
    no_args_is_help=True,
    context_settings={"ignore_unknown_options": True},
    help="Export a dataset version for a training tool (`export VERSION --format ...`), or a "
    "tuned adapter for llama.cpp (`export gguf ADAPTER --out FILE`).",
)


def export(
    version: Annotated[
        str,
        typer.Argument(
            metavar="VERSION",
            help="A dataset version folder, a dataset name (its latest version) or NAME@vN",
        ),
    ],
    fmt: Annotated[
        ExportFormat,
        typer.Option(
            "--format",
            help="alpaca, sharegpt: JSON lists; openai: chat fine-tuning JSONL; parquet; "
            "hf: a folder datasets.load_dataset reads, with a dataset card; "
            "llama-factory: Alpaca and ShareGPT files with dataset_info.json",
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Output folder: train and test files of the format")],
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an earlier export in --out (never other files)")
    ] = False,
    license_id: Annotated[
        Optional[str],
        typer.Option(
            "--license",
            help="Licence id for the hf dataset card (a Hugging Face licence id, e.g. cc-by-4.0)",
            show_default="the build config's license, else unknown",
        ),
    ] = None,
) -> None:
    """Export a dataset version (train and test splits) for a training tool."""
    from pipeline.dataset.export_version import export_version

    try:
        written = export_version(version, fmt, out, overwrite=overwrite, license_id=license_id)
    except SeedforgeError as exc:
        fail(exc)
    typer.echo(f"exported {fmt.value}: {written.summary()}")
    for name in written.files:
        typer.echo(f"  {name}")


def register(app: typer.Typer) -> None:
    export_app.command("dataset")(export)
    app.add_typer(export_app, name="export", rich_help_panel="Data")  # the "Data" group of `--help`
