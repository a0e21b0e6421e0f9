"""`seedforge export gguf ADAPTER --out FILE [--merged]`: a tuned LoRA adapter for llama.cpp —
a GGUF LoRA applied to its base at load time (`seedforge llm serve --adapter FILE`), or with
--merged the base GGUF with the adapter merged in. The base is the GGUF the adapter's base was
converted from (the embedded SmolLM2 for adapters trained on it), or --base."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Optional

import typer

from pipeline.commands.common import fail
from pipeline.commands.export import export_app
from pipeline.errors import SeedforgeError


class OutType(StrEnum):
    """The dtype of merged tensors (untouched ones stay as the base has them)."""

    f16 = "f16"
    f32 = "f32"


def gguf(
    adapter: Annotated[
        Path, typer.Argument(help="PEFT adapter folder, or the folder `seedforge train --out` wrote")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="GGUF file to write")],
    merged: Annotated[
        bool, typer.Option("--merged", help="Write the base with the adapter merged in, not a LoRA file")
    ] = False,
    base: Annotated[
        Optional[Path],
        typer.Option(
            "--base",
            help="GGUF of the adapter's base model",
            show_default="the GGUF its base was converted from (the embedded SmolLM2)",
        ),
    ] = None,
    outtype: Annotated[OutType, typer.Option("--outtype", help="Merged tensors' dtype (with --merged)")] = (
        OutType.f16
    ),
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing --out file")] = False,
) -> None:
    """Export a tuned adapter as GGUF for llama.cpp (a LoRA file, or --merged a whole model)."""
    from pipeline.train.export import adapter_directory
    from pipeline.train.gguf_export import base_gguf_for, write_lora, write_merged

    try:
        if out.exists() and not overwrite:
            raise SeedforgeError("already exists (pass --overwrite to replace it)", path=out)
        if out.suffix != ".gguf":
            raise SeedforgeError("the output file name must end in .gguf", path=out)
        adapter_dir = adapter_directory(adapter)
        base_gguf = base_gguf_for(adapter_dir, base)
        if merged:
            write_merged(adapter_dir, base_gguf, out, outtype.value)
        else:
            write_lora(adapter_dir, base_gguf, out)
    except SeedforgeError as exc:
        fail(exc)
    kind = "merged model" if merged else "LoRA"
    typer.echo(f"exported {kind} GGUF: {out} ({out.stat().st_size / 1e6:.1f} MB), base {base_gguf}")
    if not merged:
        typer.echo(f"serve it: seedforge llm serve --adapter {out}" + (f" --model {base}" if base else ""))


def register(app: typer.Typer) -> None:
    export_app.command("gguf")(gguf)
