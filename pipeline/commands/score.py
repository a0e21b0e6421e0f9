"""`seedforge score IN --out OUT ...`: an LLM judge rates each record against a rubric (1-5 and
a reason); records under --min-score are dropped with the score as evidence, the others keep
it in their lineage. Bad input (a rubric that does not parse, a score bar outside 1-5, a judge
that fails the probe) exits 2 with nothing written; a judge endpoint that refuses or cannot be
reached exits 3; a budget that ran out before every record was scored exits 4, the outputs
written (the unscored records go on unscored)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from pipeline.commands.common import PANEL_CURATE, exit_on_budget_stop, fail, llm_overrides
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
        # only what was given: a URL without --model then asks the endpoint for its only model
        data["llm"] = judge.model_copy(update=llm_overrides(base_url=base_url, model=model)).model_dump(
            exclude_unset=True
        )
    return ScoreConfig.model_validate(data), generator


def score(
    source: Annotated[
        Path, typer.Argument(metavar="IN", help="JSON list or JSONL of Alpaca records or dialogues")
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Records that go on (.json a JSON list, .jsonl JSON lines), scores in lineage.quality; "
            "OUT.rejected.jsonl, OUT.report.md and OUT.report.json go beside it",
        ),
    ],
    min_score: Annotated[
        Optional[int],
        typer.Option(
            "--min-score", help="Drop records scored below this (1-5)", show_default="the config's, 3"
        ),
    ] = None,
    rubric: Annotated[
        Optional[Path],
        typer.Option("--rubric", help="YAML rubric file", show_default="the built-in one, EN and ZH"),
    ] = None,
    base_url: Annotated[
        Optional[str],
        typer.Option(
            "--base-url",
            help="Judge endpoint",
            show_default="the config's judge, else OPENAI_BASE_URL, else the embedded model",
        ),
    ] = None,
    model: Annotated[
        Optional[str],
        typer.Option(
            "--model", help="Judge model name at --base-url", show_default="the endpoint's only model"
        ),
    ] = None,
    consistency_sample: Annotated[
        Optional[int],
        typer.Option(
            "--consistency-sample",
            help="Records re-scored for the position check",
            show_default="the config's, 20",
        ),
    ] = None,
    config_file: Annotated[
        Optional[Path],
        typer.Option("--config", help="YAML: a run config's score: (and llm:) section, or score settings"),
    ] = None,
) -> None:
    """Score records with an LLM judge: drop those under the bar, keep the score on the rest."""
    from pydantic import ValidationError

    from pipeline.io import record_format
    from pipeline.report.progress import stage_line
    from pipeline.score.build import build

    overrides = {"min_score": min_score, "rubric": rubric, "consistency_sample": consistency_sample}
    try:
        record_format(out)  # .json or .jsonl, before any work
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
    exit_on_budget_stop(built.outcome.stop_reason, short_of_target=bool(built.outcome.unscored))


def register(app: typer.Typer) -> None:
    app.command("score", rich_help_panel=PANEL_CURATE)(score)
