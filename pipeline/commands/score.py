"""`seedforge score IN --out OUT ...`: an LLM judge rates each record against a rubric (1-5 and
a reason); records under --min-score are dropped with the score as evidence, the others keep
it in their lineage. Bad input (a rubric that does not parse, a score bar outside 1-5, a judge
that fails the probe) exits 2 with nothing written."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from pipeline.commands.common import fail
from pipeline.errors import SeedforgeError

_OPTIONS = {"min_score": "--min-score", "rubric": "--rubric", "consistency_sample": "--consistency-sample"}


def _settings(
    config_file: Optional[Path], overrides: dict[str, Any], base_url: Optional[str], model: Optional[str]
) -> tuple[Any, Any]:
    """The ScoreConfig (file, then options) and the generator's LLM settings from the file."""
    from pipeline.llm.config import LLMConfig
    from pipeline.score.config import ScoreConfig
    from pipeline.score.files import load_score_config

    config, generator = load_score_config(config_file) if config_file else (ScoreConfig(), None)
    data = config.model_dump()
    data.update({key: value for key, value in overrides.items() if value is not None})
    if base_url is not None or model is not None:
        judge = config.llm or generator or LLMConfig()
        update = {k: v for k, v in (("base_url", base_url), ("model", model)) if v is not None}
        data["llm"] = judge.model_copy(update=update).model_dump()
    return ScoreConfig.model_validate(data), generator


def score(
    source: Annotated[
        Path, typer.Argument(metavar="IN", help="JSON list or JSONL of Alpaca records or dialogues")
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Records that go on (.jsonl: JSONL, else a JSON list), scores in lineage.quality; "
            "OUT.rejected.jsonl, OUT.report.md and OUT.report.json go beside it",
        ),
    ],
    min_score: Annotated[
        Optional[int], typer.Option("--min-score", help="Drop records scored below this (1-5) [default: 3]")
    ] = None,
    rubric: Annotated[
        Optional[Path], typer.Option("--rubric", help="YAML rubric file [default: built-in, EN and ZH]")
    ] = None,
    base_url: Annotated[
        Optional[str], typer.Option("--base-url", help="Judge endpoint [default: the embedded model]")
    ] = None,
    model: Annotated[Optional[str], typer.Option("--model", help="Judge model name at --base-url")] = None,
    consistency_sample: Annotated[
        Optional[int],
        typer.Option("--consistency-sample", help="Records re-scored for the position check [default: 20]"),
    ] = None,
    config_file: Annotated[
        Optional[Path],
        typer.Option("--config", help="YAML: a run config's score: (and llm:) section, or score settings"),
    ] = None,
) -> None:
    """Score records with an LLM judge: drop those under the bar, keep the score on the rest."""
    from pydantic import ValidationError

    from pipeline.report.progress import stage_line
    from pipeline.score.build import build

    overrides = {"min_score": min_score, "rubric": rubric, "consistency_sample": consistency_sample}
    try:
        config, generator = _settings(config_file, overrides, base_url, model)
    except SeedforgeError as exc:
        fail(exc)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else ""
        option = _OPTIONS.get(name, "--config " + ".".join(str(part) for part in first["loc"]))
        fail(SeedforgeError(f"{option}: {first['msg']}"))
    try:
        built = build(
            source,
            out,
            config,
            generator=generator,
            on_endpoint=lambda e: stage_line("score", f"judge {e.model} at {e.base_url}: probing"),
        )
    except SeedforgeError as exc:
        fail(exc)
    report = built.outcome.report
    assert report is not None
    stage_line("score", f"probe scored {built.probe.score}; {built.summary()}")
    for note in report.warnings():
        stage_line("score", note)
    typer.echo(f"report: {built.paths.report}")


def register(app: typer.Typer) -> None:
    app.command("score")(score)
