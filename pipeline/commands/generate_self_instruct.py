"""`seedforge generate self-instruct`: Alpaca records from seed tasks, with lineage, plus a
report; a progress bar shows accepted / rejected / requests / cost while it runs. OUT's
extension picks its format (.json a JSON list, .jsonl JSON lines); OUT.rejected.jsonl and
OUT.report.json go beside it. A run the budget stopped short of N exits 4, its records written."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from pipeline.commands.choices import Language
from pipeline.commands.common import (
    exit_on_budget_stop,
    fail,
    llm_overrides,
    progress_enabled,
    warn,
)
from pipeline.commands.generate import generate_app
from pipeline.errors import SeedforgeError


def _settings(
    seeds: Path,
    n: int,
    lang: Optional[Language],
    base_url: Optional[str],
    model: Optional[str],
    config_file: Optional[Path],
    max_requests: Optional[int],
) -> Any:
    from pipeline.config import PipelineConfig, load_config
    from pipeline.generate.self_instruct.templates import template_set
    from pipeline.settings import resolve_path

    config = load_config(config_file) if config_file else PipelineConfig()
    language = lang.value if lang else config.generate.language
    template_set(language)  # unknown language: an error before anything else
    configured = "max_requests" in config.generate.model_fields_set  # set in the YAML itself
    budget = max_requests or (config.generate.max_requests if configured else max(60, 12 * n))
    config.generate = config.generate.model_copy(
        # seeds/... falls back to the seed tasks shipped with the package, as config paths do
        update={"seeds": resolve_path(seeds), "target": n, "language": language, "max_requests": budget}
    )
    # no --model: the endpoint's only model is asked for where the endpoint is opened
    config.llm = config.llm.model_copy(update=llm_overrides(base_url=base_url, model=model))
    return config


def _warn_if_seeds_look_foreign(seeds: list[Any], language: str) -> None:
    """Chinese seeds with --lang en (or the reverse) still run, but the user likely slipped."""
    import re

    han = re.compile(r"[\u4e00-\u9fff]")
    share = sum(bool(han.search(seed.instruction)) for seed in seeds) / len(seeds)
    if (language == "zh" and share < 0.3) or (language == "en" and share > 0.7):
        warn(f"--lang {language}, but {share:.0%} of the seed instructions contain Chinese characters")


def _run(config: Any, out: Path) -> dict[str, Any]:
    import json
    from datetime import datetime

    from pipeline.generate.self_instruct.build import build
    from pipeline.generate.self_instruct.progress import GenerationProgress
    from pipeline.generate.self_instruct.report import generation_report, print_report
    from pipeline.generate.self_instruct.templates import template_set
    from pipeline.io import record_format, sidecar, write_atomic, write_jsonl_atomic, write_records_atomic

    gen = config.generate
    if out.is_dir():
        raise SeedforgeError("--out names a directory; give a .json or .jsonl file", path=out)
    record_format(out)  # before any request
    build_id = f"self-instruct-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}"
    progress = GenerationProgress(gen.target)
    try:
        result = build(
            config,
            build_id,
            on_seeds=lambda seeds: _warn_if_seeds_look_foreign(seeds, gen.language),
            # the bar shows once requests can go (never with --quiet)
            on_endpoint=lambda _: progress.start() if progress_enabled() else None,
            on_batch=progress.on_batch,
            progress=progress.on_requests,
        )
    finally:
        progress.stop()
    report = generation_report(
        result,
        target=gen.target,
        language=gen.language,
        seeds=str(gen.seeds),
        n_seeds=result.seeds,
        model=result.model,
        templates=template_set(gen.language).lineage_version(),
    )
    report["build"] = build_id
    rejected, report_path = sidecar(out, "rejected.jsonl"), sidecar(out, "report.json")
    report["outputs"] = {"records": str(out), "rejected": str(rejected), "report": str(report_path)}
    write_jsonl_atomic(rejected, (r.model_dump(mode="json") for r in result.rejected))
    write_atomic(report_path, json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    # last: a whole file or none, in the format OUT's extension names
    write_records_atomic(out, (record.model_dump(mode="json") for record in result.kept))
    if progress_enabled():  # the table goes to stderr with the progress; --quiet leaves the one-line result
        print_report(report)
    return report


def self_instruct(
    seeds: Annotated[
        Path,
        typer.Option(
            "--seeds",
            help="Seed tasks: self-instruct schema JSONL "
            "(Alpaca's, BELLE's, ours in seeds/) or plain JSONL of instructions",
        ),
    ],
    n: Annotated[int, typer.Option("--n", min=1, help="Stop once this many records are accepted")],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Alpaca records with lineage: .json writes a JSON list, .jsonl JSON lines; "
            "OUT.rejected.jsonl and OUT.report.json are written beside it",
        ),
    ],
    lang: Annotated[
        Optional[Language],
        typer.Option("--lang", help="Language of the prompts", show_default="the config's language, en"),
    ] = None,
    base_url: Annotated[
        Optional[str],
        typer.Option(
            "--base-url",
            help="OpenAI-compatible endpoint",
            show_default="OPENAI_BASE_URL, else the embedded model",
        ),
    ] = None,
    model: Annotated[
        Optional[str],
        typer.Option("--model", help="Model name at that endpoint", show_default="the endpoint's only model"),
    ] = None,
    config_file: Annotated[
        Optional[Path],
        typer.Option("--config", help="Run config YAML: its llm, generate and curate sections apply"),
    ] = None,
    max_requests: Annotated[
        Optional[int],
        typer.Option(
            "--max-requests",
            min=1,
            help="Request budget",
            show_default="the config's generate.max_requests, else 12 per wanted record",
        ),
    ] = None,
) -> None:
    """Self-instruct: new tasks from seed tasks, classification-aware instances, curated,
    until N records are accepted or the budget is spent."""
    try:
        config = _settings(seeds, n, lang, base_url, model, config_file, max_requests)
        report = _run(config, out)
    except SeedforgeError as exc:
        fail(exc)
    typer.echo(
        f"{report['accepted']} records -> {out} ({report['stop_reason']}); "
        f"report {report['outputs']['report']}"
    )
    if report["accepted"] < n:
        warn(
            f"only {report['accepted']} of {n} accepted before the {report['stop_reason']} stop; "
            "raise --max-requests (or llm.budget_usd / budget_tokens) for more"
        )
    exit_on_budget_stop(report["stop_reason"], short_of_target=report["accepted"] < n)


def register(app: typer.Typer) -> None:
    generate_app.command("self-instruct")(self_instruct)  # in the Generate panel with its group
