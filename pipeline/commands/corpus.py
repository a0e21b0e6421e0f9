"""`seedforge corpus build PATH... --name NAME`: raw documents (text, Markdown, HTML, JSONL, PDF)
to a versioned pretraining corpus under DATA_DIR/corpora/NAME/vN (cleaned documents, packed token
blocks, what was dropped and why, a report). `seedforge corpus show NAME[@vN]`: its summary.
Bad input (no documents, all filtered out, an unreadable file, a bad config line) exits 2 with
nothing published."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from pipeline.commands.common import PANEL_DATA, fail, warn
from pipeline.errors import SeedforgeError

corpus_app = typer.Typer(no_args_is_help=True, help="Pretraining corpora built from raw documents.")


def _config(config_file: Path | None, base_model: str | None, block_size: int | None) -> Any:
    from pipeline.corpus.config import CorpusConfig, load_corpus_config

    config = load_corpus_config(config_file)
    overrides = {"base_model": base_model, "block_size": block_size}
    data = {**config.model_dump(), **{key: value for key, value in overrides.items() if value is not None}}
    from pydantic import ValidationError

    try:
        return CorpusConfig.model_validate(data)
    except ValidationError as exc:  # one line naming the option, as every command says it
        first = exc.errors()[0]
        raise SeedforgeError(f"--{str(first['loc'][0]).replace('_', '-')}: {first['msg']}") from None


def _print_funnel(report: dict[str, Any]) -> None:
    funnel = report["funnel"]
    previous = None
    for stage, count in funnel.items():
        lost = f"  (-{previous - count:,})" if previous is not None and previous > count else ""
        typer.echo(f"  {stage:<12} {count:>10,}{lost}")
        previous = count
    for rule, entry in list(report["dropped"].items())[:5]:
        typer.echo(f"  dropped {rule}: {entry['count']:,}")


@corpus_app.command("build")
def build_command(
    paths: Annotated[
        list[Path],
        typer.Argument(metavar="PATH...", help="Files or directories: .txt .md .html .jsonl .pdf"),
    ],
    name: Annotated[str, typer.Option("--name", help="Corpus name: versions go to DATA_DIR/corpora/NAME/vN")],
    config_file: Annotated[
        Optional[Path],
        typer.Option(
            "--config", help="YAML: quality thresholds, dedup, PII, languages, split", show_default="built-in"
        ),
    ] = None,
    base_model: Annotated[
        Optional[str],
        typer.Option(
            "--base-model",
            help="Model whose tokenizer packs the blocks (HF folder)",
            show_default="the config's base_model, else the embedded model",
        ),
    ] = None,
    block_size: Annotated[
        Optional[int],
        typer.Option(
            "--block-size", help="Tokens per packed block", show_default="the config's block_size, 512"
        ),
    ] = None,
    rebuild: Annotated[
        bool,
        typer.Option(
            "--rebuild",
            help="Build a new version even when the latest was built from the same files and settings",
        ),
    ] = False,
) -> None:
    """Build the next version of a corpus: clean, filter, deduplicate, redact PII, split, pack.
    When the latest version was built from files with the same contents and the same settings,
    it is named and nothing is built (a scheduled build of unchanged files adds no version)."""
    from pipeline.commands.common import progress_enabled
    from pipeline.corpus.build import build_corpus
    from pipeline.corpus.store import matching_corpus
    from pipeline.report.progress import stage_line
    from pipeline.settings import resolve_path

    def progress(message: str) -> None:
        stage_line("corpus", message)

    try:
        config = _config(config_file, base_model, block_size)
        found = [resolve_path(p) for p in paths]  # seeds/...: the sample corpora shipped with seedforge
        same = None if rebuild else matching_corpus(name, found, config, newest_only=True)
        if same is not None:
            typer.echo(
                f"corpus {name} {same.name}: unchanged, built from the same files with the same "
                f"settings: {same} (--rebuild builds a new version)"
            )
            return
        result = build_corpus(found, name, config, progress=progress if progress_enabled() else None)
    except SeedforgeError as exc:
        fail(exc)
    report = result.report
    typer.echo(f"corpus {result.name} v{result.version}: {result.path}")
    _print_funnel(report)
    for split, stats in report["splits"].items():
        typer.echo(
            f"  {split:<8} {stats['documents']:,} documents, {stats['tokens']:,} tokens, "
            f"{stats['blocks']:,} blocks of {config.block_size}"
        )
    for message in report["warnings"]:
        warn(message)


@corpus_app.command("show")
def show_command(
    corpus: Annotated[
        str,
        typer.Argument(metavar="NAME[@vN]", help="A corpus name (its latest version), NAME@vN or a folder"),
    ],
) -> None:
    """Print a corpus version's summary: sources, tokenizer, splits, languages, funnel."""
    from pipeline.corpus.store import load_manifest, resolve_corpus

    try:
        path = resolve_corpus(corpus)
        manifest = load_manifest(path)
    except SeedforgeError as exc:
        fail(exc)
    typer.echo(f"corpus {manifest.name} v{manifest.version} ({manifest.created_at}): {path}")
    total = sum(source.bytes for source in manifest.sources)
    typer.echo(f"  sources    {len(manifest.sources)} files, {total:,} bytes")
    tokenizer = manifest.tokenizer
    typer.echo(
        f"  tokenizer  {tokenizer.base_model} (vocab {tokenizer.vocab_size:,}, {tokenizer.fingerprint}), "
        f"blocks of {manifest.block_size} {manifest.dtype}"
    )
    for split, stats in manifest.splits.items():
        typer.echo(
            f"  {split:<10} {stats.documents:,} documents, {stats.characters:,} characters, "
            f"{stats.tokens:,} tokens, {stats.blocks:,} blocks"
        )
    languages = ", ".join(
        f"{code} {n:,}" for code, n in sorted(manifest.languages.items(), key=lambda i: -i[1])
    )
    typer.echo(f"  languages  {languages}")
    typer.echo("  funnel     " + ", ".join(f"{stage} {n:,}" for stage, n in manifest.counts.items()))


def register(app: typer.Typer) -> None:
    app.add_typer(corpus_app, name="corpus", rich_help_panel=PANEL_DATA)
