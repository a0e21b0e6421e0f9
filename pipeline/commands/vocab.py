"""`seedforge vocab extend --corpus NAME --add N --out DIR`: new Chinese tokens learned from a
corpus version, added to the base model's tokenizer (existing ids unchanged) with mean-of-pieces
embedding rows; OUT is a complete HF model directory with vocab.json and report.md."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from pipeline.commands.common import PANEL_TRAIN, fail
from pipeline.errors import SeedforgeError

vocab_app = typer.Typer(no_args_is_help=True, help="Vocabulary extension for a domain corpus (Chinese).")


def extend(
    corpus: Annotated[
        str,
        typer.Option("--corpus", help="Corpus: NAME (its latest version), NAME@vN or a version folder"),
    ],
    add: Annotated[int, typer.Option("--add", help="New tokens to add", min=1)],
    out: Annotated[Path, typer.Option("--out", help="Output folder: the extended model and tokenizer")],
    base_model: Annotated[
        Optional[str],
        typer.Option(
            "--base-model",
            help="Base model to extend (HF folder, GGUF or hub id); its tokenizer must be the corpus's",
            show_default="the corpus manifest's base model",
        ),
    ] = None,
    min_frequency: Annotated[
        int, typer.Option("--min-frequency", help="Times a merge must be seen in the corpus", min=1)
    ] = 2,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an output folder that is not empty")
    ] = False,
) -> None:
    """Learn Chinese tokens from a corpus and add them to the base model's vocabulary."""
    from pipeline.vocab.extend import extend_vocab

    try:
        info = extend_vocab(corpus, add, out, base_model=base_model, min_frequency=min_frequency, force=force)
    except SeedforgeError as exc:
        fail(exc)
    zh = info.tokens_per_1000_chars
    typer.echo(f"extended vocabulary {info.old_vocab_size:,} -> {info.new_vocab_size:,} ({info.added:,} new)")
    if zh.before is not None and zh.after is not None and zh.reduction is not None:
        typer.echo(
            f"held-out Chinese: {zh.before:,.1f} -> {zh.after:,.1f} tokens per 1,000 characters "
            f"({zh.reduction:.1%} fewer)"
        )
    typer.echo(f"written to {out}")


def register(app: typer.Typer) -> None:
    vocab_app.command("extend")(extend)
    app.add_typer(vocab_app, name="vocab", rich_help_panel=PANEL_TRAIN)
