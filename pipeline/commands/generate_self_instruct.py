"""`seedforge generate self-instruct`: Alpaca records from seed tasks, with lineage, plus a
report; a progress bar shows accepted / rejected / requests / cost while it runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from pipeline.commands.common import fail
from pipeline.commands.generate import generate_app
from pipeline.errors import SeedforgeError


def _settings(seeds: Path, n: int, lang: Optional[str], base_url: Optional[str], model: Optional[str],
              config_file: Optional[Path], max_requests: Optional[int]) -> Any:
    from pipeline.config import PipelineConfig, load_config
    from pipeline.generate.templates import template_set

    config = load_config(config_file) if config_file else PipelineConfig()
    language = lang or config.generate.language
    template_set(language)  # unknown language: an error before anything else
    configured = "max_requests" in config.generate.model_fields_set  # set in the YAML itself
    budget = max_requests or (config.generate.max_requests if configured else max(60, 12 * n))
    config.generate = config.generate.model_copy(update={
        "seeds": seeds, "target": n, "language": language, "max_requests": budget})
    llm_update = {k: v for k, v in (("base_url", base_url), ("model", model)) if v}
    config.llm = config.llm.model_copy(update=llm_update)
    return config


def _warn_if_seeds_look_foreign(seeds: list[Any], language: str) -> None:
    """Chinese seeds with --lang en (or the reverse) still run, but the user likely slipped."""
    import re

    han = re.compile(r"[\u4e00-\u9fff]")
    share = sum(bool(han.search(seed.instruction)) for seed in seeds) / len(seeds)
    if (language == "zh" and share < 0.3) or (language == "en" and share > 0.7):
        typer.secho(f"warning: --lang {language}, but {share:.0%} of the seed instructions contain "
                    "Chinese characters", fg=typer.colors.YELLOW, err=True)


def _sibling(out: Path, suffix: str) -> Path:
    return out.with_name(out.name.removesuffix(".jsonl") + suffix)


def _write_atomic(path: Path, lines: list[str]) -> None:
    import os
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.writelines(lines)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _run(config: Any, out: Path) -> dict[str, Any]:
    import json
    from datetime import datetime, timezone

    from pipeline.config import data_dir
    from pipeline.curate.curator import Curator
    from pipeline.generate.progress import GenerationProgress
    from pipeline.generate.report import generation_report, print_report
    from pipeline.generate.seeds import load_seed_tasks
    from pipeline.generate.self_instruct import run_self_instruct
    from pipeline.generate.templates import template_set
    from pipeline.llm.endpoint import open_endpoint
    from pipeline.llm.journal import Journal
    from pipeline.records import dump_jsonl_line

    gen = config.generate
    seeds = load_seed_tasks(gen.seeds)
    _warn_if_seeds_look_foreign(seeds, gen.language)
    if out.is_dir():
        raise SeedforgeError("--out names a directory; give a .jsonl file", path=out)
    build = f"self-instruct-{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%SZ')}"
    curator = Curator(config.curate)
    curator.add_seeds(seeds)
    run_dir = data_dir() / "runs" / build
    run_dir.mkdir(parents=True, exist_ok=True)
    with Journal(data_dir() / "journal.sqlite3") as journal, \
            open_endpoint(config.llm, log_path=run_dir / "llm-server.log") as endpoint, \
            GenerationProgress(gen.target) as progress:
        result = run_self_instruct(seeds, gen, config.llm, endpoint, journal, curator, build,
                                   on_batch=progress.on_batch, progress=progress.on_requests)
        model = endpoint.model
    report = generation_report(result, target=gen.target, language=gen.language, seeds=str(gen.seeds),
                               n_seeds=len(seeds), model=model,
                               templates=template_set(gen.language).lineage_version())
    report["build"] = build
    report["outputs"] = {"records": str(out), "rejected": str(_sibling(out, ".rejected.jsonl")),
                         "report": str(_sibling(out, ".report.json"))}
    _write_atomic(_sibling(out, ".rejected.jsonl"), [dump_jsonl_line(r) for r in result.rejected])
    _write_atomic(_sibling(out, ".report.json"), [json.dumps(report, indent=2, ensure_ascii=False) + "\n"])
    _write_atomic(out, [dump_jsonl_line(record) for record in result.kept])  # last: a whole file or none
    print_report(report)
    return report


def self_instruct(
    seeds: Annotated[Path, typer.Option("--seeds", help="Seed tasks: self-instruct schema JSONL "
                                        "(Alpaca's, BELLE's, ours in seeds/) or plain JSONL of instructions")],
    n: Annotated[int, typer.Option("--n", min=1, help="Stop once this many records are accepted")],
    out: Annotated[Path, typer.Option("--out", help="Output JSONL of Alpaca records with lineage; "
                                      "OUT.rejected.jsonl and OUT.report.json are written beside it")],
    lang: Annotated[Optional[str], typer.Option("--lang", help="en or zh (default: the config's, en)")] = None,
    base_url: Annotated[Optional[str], typer.Option("--base-url", help="OpenAI-compatible endpoint "
                                                    "(default: OPENAI_BASE_URL, else the embedded model)")] = None,
    model: Annotated[Optional[str], typer.Option("--model", help="Model name at that endpoint")] = None,
    config_file: Annotated[Optional[Path], typer.Option("--config", help="Run config YAML: its llm, "
                                                        "generate and curate sections apply")] = None,
    max_requests: Annotated[Optional[int], typer.Option("--max-requests", min=1, help="Request "
                            "budget (default: the config's generate.max_requests, else 12 per wanted record)")] = None,
) -> None:
    """Self-instruct: new tasks from seed tasks, classification-aware instances, curated,
    until N records are accepted or the budget is spent."""
    try:
        config = _settings(seeds, n, lang, base_url, model, config_file, max_requests)
        report = _run(config, out)
    except SeedforgeError as exc:
        fail(exc)
    typer.echo(f"{report['accepted']} records -> {out} ({report['stop_reason']}); "
               f"report {report['outputs']['report']}")
    if report["accepted"] < n:
        typer.secho(f"warning: only {report['accepted']} of {n} accepted before the "
                    f"{report['stop_reason']} stop; raise --max-requests for more", fg=typer.colors.YELLOW,
                    err=True)


def register(app: typer.Typer) -> None:
    generate_app.command("self-instruct")(self_instruct)
