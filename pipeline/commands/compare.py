"""`seedforge compare`: a base model, its domain-pretrained version and an instruction-tuned
adapter on the same held-out sets (domain perplexity, general-text perplexity, instruction
held-out loss), side by side."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from pipeline.commands.common import PANEL_TRAIN, fail
from pipeline.errors import SeedforgeError


def compare(
    corpus: Annotated[str, typer.Option(help="Corpus whose held-out documents measure the domain")],
    out: Annotated[Path, typer.Option(help="Output folder: report.md and ladder.json")],
    base_model: Annotated[
        Optional[str], typer.Option(help="The base model", show_default="the embedded model")
    ] = None,
    pretrained: Annotated[
        Optional[Path], typer.Option(help="A `seedforge pretrain --out` folder (its merged model)")
    ] = None,
    adapter: Annotated[
        Optional[Path],
        typer.Option(help="An instruction-tuned adapter (or `seedforge train --out` folder) on --pretrained"),
    ] = None,
    dataset: Annotated[
        Optional[str], typer.Option(help="Dataset version whose held-out records measure instruction loss")
    ] = None,
    general: Annotated[
        Optional[Path],
        typer.Option(help="General text for forgetting", show_default="seeds/corpora/general_en.txt"),
    ] = None,
    eval_blocks: Annotated[int, typer.Option(min=1, help="Held-out blocks per set (evenly spread)")] = 64,
) -> None:
    """Compare base, domain-pretrained and pretrained + tuned models on the same held-out sets."""
    from pipeline.corpus.store import resolve_corpus
    from pipeline.domain.ladder import Rung, heldout_instructions, score_rung, write_ladder
    from pipeline.evaluate.models import adapter_directory
    from pipeline.pretrain.run import default_general_text
    from pipeline.train.base_model import prepare_base_model
    from pipeline.train.config import TrainConfig

    try:
        if adapter is not None and pretrained is None:
            raise SeedforgeError("--adapter needs --pretrained: the adapter is scored on that model")
        corpus_dir = resolve_corpus(corpus)
        rungs = [Rung("base", prepare_base_model(base_model))]
        if pretrained is not None:
            merged = prepare_base_model(str(pretrained))
            rungs.append(Rung("domain-pretrained", merged))
            if adapter is not None:
                rungs.append(Rung("pretrained + tuned", merged, adapter_directory(adapter)))
        records = heldout_instructions(dataset)
        general_text = general or default_general_text()
        rows = [
            score_rung(
                rung,
                corpus_dir,
                out / "blocks",
                general=general_text if general_text.is_file() else None,
                records=records,
                train_config=TrainConfig(),
                eval_blocks=eval_blocks,
            )
            for rung in rungs
        ]
        markdown = write_ladder(rows, out, f"Models compared on `{corpus_dir}`")
    except SeedforgeError as exc:
        fail(exc)
    typer.echo(markdown)


def register(app: typer.Typer) -> None:
    app.command("compare", rich_help_panel=PANEL_TRAIN)(compare)
