"""`seedforge curate IN --out OUT ...`: filters, output checks, PII, exact and near-duplicate
dedup and the ROUGE-L novelty rule over a file of records. A fast CLI: it never imports
torch, transformers or prefect."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from pipeline.commands.choices import Compare, PiiAction
from pipeline.commands.common import PANEL_CURATE, fail, spinner
from pipeline.errors import SeedforgeError

if TYPE_CHECKING:
    from pipeline.records import SeedTask


def _curate_config(config_file: Path | None, overrides: dict[str, Any]) -> Any:
    from pipeline.curate.config import CurateConfig

    if config_file:  # every stage's config is imported only to read a run config
        from pipeline.config import load_config

        config = load_config(config_file).curate
    else:
        config = CurateConfig()
    data = config.model_dump()
    for key, value in overrides.items():
        if value is None:
            continue
        section, _, field = key.rpartition(".")
        (data[section] if section else data)[field] = value
    return CurateConfig.model_validate(data)


def _print_summary(summary: dict[str, Any]) -> None:
    from pipeline.curate.report import summary_lines

    for line in summary_lines(summary):
        typer.echo(line)


def curate(
    source: Annotated[
        Path, typer.Argument(metavar="IN", help="JSON list or JSONL of Alpaca records or dialogues")
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Kept records: .json writes a JSON list, .jsonl JSON lines")
    ],
    rejected: Annotated[
        Optional[Path],
        typer.Option(help="Dropped records with reason and evidence (.json or .jsonl, as --out)"),
    ] = None,
    report: Annotated[
        Optional[Path], typer.Option(help="Counts per step and reason, examples (JSON)")
    ] = None,
    rouge_threshold: Annotated[
        Optional[float],
        typer.Option(
            help="Novelty: keep if ROUGE-L F1 <= this", show_default="the config's rouge_threshold, 0.7"
        ),
    ] = None,
    steps: Annotated[
        Optional[str],
        typer.Option(
            help="Only these steps, comma-separated: "
            "filters, output_checks, structure, pii, exact, minhash, novelty",
            show_default="the config's steps, all of them",
        ),
    ] = None,
    index: Annotated[
        Optional[str],
        typer.Option(
            help="Persistent index of earlier builds: a directory, or redis://HOST:PORT/DB?prefix=NAME"
        ),
    ] = None,
    compare: Annotated[
        Optional[Compare],
        typer.Option(
            help="Text compared by dedup and novelty: prompt (instruction + input) or instruction",
            show_default="the config's compare, prompt",
        ),
    ] = None,
    pii: Annotated[
        Optional[PiiAction],
        typer.Option(
            help="PII handling: redact (typed placeholders) or drop the record",
            show_default="the config's pii.action, redact",
        ),
    ] = None,
    seeds: Annotated[
        Optional[Path], typer.Option(help="Seed tasks the records must also be novel against")
    ] = None,
    config_file: Annotated[
        Optional[Path], typer.Option("--config", help="YAML run config; its curate: section")
    ] = None,
    build: Annotated[
        Optional[str],
        typer.Option(help="Name of this build in the index", show_default="OUT's stem and the time"),
    ] = None,
    jobs: Annotated[
        Optional[int],
        typer.Option(
            min=0,
            help="Worker processes preparing records (0: none)",
            show_default="1 for large inputs on 2+ cores, else 0",
        ),
    ] = None,
    dask: Annotated[
        Optional[str],
        typer.Option(
            help="Prepare records on a Dask cluster instead: local (a LocalCluster, one worker a core), "
            "local:N (N workers) or a scheduler address, tcp://HOST:8786",
            show_default="no Dask",
        ),
    ] = None,
) -> None:
    """Curate records: every drop is written with its reason and evidence."""
    from pydantic import ValidationError

    from pipeline.curate.config import parse_steps
    from pipeline.curate.files import curate_file
    from pipeline.io import record_format

    try:
        for target in (out, rejected):
            if target is not None:
                record_format(target)  # .json or .jsonl, before any work
        if report is not None and report.suffix != ".json":
            raise SeedforgeError("the report is one JSON object: name it .json", path=report)
        if build is not None and not build.strip():
            raise SeedforgeError("--build names this build in the index: give it a name")
        config = _curate_config(
            config_file,
            {
                "rouge_threshold": rouge_threshold,
                "compare": compare.value if compare else None,
                "pii.action": pii.value if pii else None,
                "steps": parse_steps(steps) if steps is not None else None,
            },
        )
    except SeedforgeError as exc:
        fail(exc)
    except ValidationError as exc:
        first = exc.errors()[0]
        option = "--" + str(first["loc"][0]).replace("_", "-")
        fail(SeedforgeError(f"{option}: {first['msg']}"))
    except ValueError as exc:  # an unknown step name
        fail(SeedforgeError(str(exc)))
    with spinner("curating") as show:

        def on_progress(seen: int, kept: int) -> None:
            show(f"curating: {seen:,} read, {kept:,} kept")

        try:
            seed_tasks = _seed_tasks(seeds)
            summary = curate_file(
                source,
                out,
                config,
                rejected=rejected,
                report=report,
                index=index,
                seed_tasks=seed_tasks,
                build=build,
                jobs=jobs,
                dask=dask,
                on_progress=on_progress,
            )
        except SeedforgeError as exc:
            fail(exc)
    _print_summary(summary)


def _seed_tasks(seeds: Path | None) -> list[SeedTask]:
    if seeds is None:
        return []
    from pipeline.generate.self_instruct.seeds import load_seed_tasks
    from pipeline.settings import resolve_path

    return load_seed_tasks(resolve_path(seeds))  # seeds/...: the shipped copy when not here


def register(app: typer.Typer) -> None:
    app.command("curate", rich_help_panel=PANEL_CURATE)(curate)
