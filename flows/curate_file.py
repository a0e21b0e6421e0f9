"""curate_file: a file of records (an imported dataset, a generation run's output) curated into
kept, rejected and report files (pipeline.curate.files.curate_file, as `seedforge curate`), the
per-record half on a Dask cluster when the form names one. The flow's process makes the
order-dependent decisions, so one run is one task; a failed run wrote nothing and is simply
run again."""

from __future__ import annotations

from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows.artifacts import publish_markdown
from flows.hooks import stop_child_processes
from pipeline.config import CurateFileParams
from pipeline.curate.files import curate_file as curate_records
from pipeline.curate.report import summary_lines
from pipeline.generate.self_instruct.seeds import load_seed_tasks
from pipeline.io import record_format
from pipeline.report.progress import stage_line
from pipeline.settings import resolve_path


@task(name="curate-records", cache_policy=NO_CACHE)
def curate_task(params: CurateFileParams) -> dict[str, Any]:
    record_format(params.out_path())  # .json or .jsonl, before a cluster is started
    seeds = load_seed_tasks(resolve_path(params.seeds)) if params.seeds else []

    def on_progress(seen: int, kept: int) -> None:
        stage_line("curate", f"{seen:,} read, {kept:,} kept")

    return curate_records(
        params.source_path(),
        params.out_path(),
        params.curate,
        rejected=params.rejected_path(),
        report=params.report_path(),
        index=params.index_location(),
        seed_tasks=seeds,
        build=params.build,
        jobs=params.jobs,
        dask=params.dask,
        on_progress=on_progress,
    )


@flow(
    name="curate-file",
    log_prints=True,
    on_cancellation=[stop_child_processes],
    on_crashed=[stop_child_processes],
)
def curate_file(params: CurateFileParams) -> dict[str, Any]:
    """Curate a file of records; every drop is written with its reason and evidence."""
    summary = curate_task(params)
    lines = summary_lines(summary)
    for line in lines:
        stage_line("curate", line.strip())
    name = params.out_path().stem
    where = f"{params.dask} (Dask)" if params.dask else "this worker"
    markdown = "\n".join(
        [
            f"# Curation of {params.source}",
            "",
            f"Records prepared on {where}; rejected records with reasons: `{summary['rejected_file']}`.",
            "",
            "```",
            *lines,
            "```",
        ]
    )
    publish_markdown(name, "curation-report", markdown, f"Curation of {params.source}")
    return summary
