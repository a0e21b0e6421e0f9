"""ingest_knowledge_base: KB files -> versioned KB store -> grounded dialogues for new or
changed entries -> dataset version of all the KB's dialogues -> report with coverage."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows.artifacts import publish_dataset_link, publish_markdown, publish_samples
from flows.hooks import stop_child_processes
from flows.key_block import load_api_key_from_block
from flows.logs import warn_if_budget_stop
from flows.retries import retry_unless_it_fails_the_same
from pipeline.config import KnowledgeBaseParams
from pipeline.dataset.versions import (
    MIN_RECORDS_FOR_VERSION,
    read_records,
    split_decontaminated,
    write_version,
)
from pipeline.generate.dialogues.build import build, current_dialogues
from pipeline.generate.dialogues.report import kb_report_markdown
from pipeline.generate.dialogues.result import DialogueBuild, DialogueRun
from pipeline.kb.ingest import ingest_files
from pipeline.llm.endpoint import check_endpoint
from pipeline.report.progress import stage_line
from pipeline.settings import data_dir, resolve_path


def _path(value: str) -> Path:
    # relative to the project folder (the worker's working directory); seeds/... falls back to
    # the sample files shipped with the package
    return resolve_path(value)


@task(name="ingest-kb", cache_policy=NO_CACHE)
def ingest_task(params: KnowledgeBaseParams) -> dict[str, Any]:
    report = ingest_files(
        data_dir(),
        params.kb,
        [_path(p) for p in params.paths],
        _path(params.mapping) if params.mapping else None,
    )
    return {"totals": report.totals(), "sources": {s.source: s.counts() for s in report.sources}}


@task(
    name="generate-dialogues",
    cache_policy=NO_CACHE,
    retries=1,
    retry_delay_seconds=5,
    retry_condition_fn=retry_unless_it_fails_the_same,
)
def dialogues_task(params: KnowledgeBaseParams, out: Path) -> DialogueBuild:
    def on_round(run: DialogueRun) -> None:
        stage_line("dialogue", f"round {run.rounds}: {len(run.kept)} grounded of {run.candidates}")

    return build(params.kb, out, params.dialogues, params.llm, on_round=on_round)


@flow(
    name="ingest-knowledge-base",
    log_prints=True,
    on_cancellation=[stop_child_processes],
    on_crashed=[stop_child_processes],
)
def ingest_knowledge_base(params: KnowledgeBaseParams = KnowledgeBaseParams()) -> dict[str, Any]:
    """Ingest KB files, generate grounded dialogues for new or changed entries, version them."""
    load_api_key_from_block()
    check_endpoint(params.llm)  # an endpoint that cannot answer fails the run before the store changes
    ingested = ingest_task(params)
    stage_line("ingest", f"{params.kb}: {ingested['totals']}")
    out = data_dir() / "kb" / f"{params.kb}.dialogues-turns{params.dialogues.turns}.jsonl"
    built = dialogues_task(params, out)
    if built.run is not None:
        warn_if_budget_stop(
            "dialogues",
            built.run.stop_reason,
            len(built.run.kept),
            params.dialogues.target,
            params.dialogues.attempt_cap_setting,
        )
    report = built.report()
    stage_line("dialogue", f"{report['kept']} grounded, rate {report['grounded_rate']}")
    version = None
    # every dialogue of the KB so far, but none of an entry edited or removed since
    records, retired = current_dialogues(params.kb, read_records(out) if out.exists() else [])
    if retired:
        stage_line("dialogue", f"{retired} dialogues of edited or removed entries left out of the version")
    if len(records) >= MIN_RECORDS_FOR_VERSION:
        split = split_decontaminated(records, params.evaluate.heldout_fraction, params.evaluate.min_heldout)
        version = write_version(
            f"kb-{params.kb}",
            split.train,
            split.heldout,
            built.rejected,
            config=params.model_dump(mode="json"),
            stats={**{k: v for k, v in report.items() if k != "coverage"}, "retired_dialogues": retired},
            exports=list(params.exports),
        )
        publish_dataset_link(f"kb-{params.kb}", version.path, version.version)
        publish_samples(f"kb-{params.kb}", built.kept)
    markdown = kb_report_markdown(params.kb, ingested["totals"], built, version.path if version else None)
    publish_markdown(f"kb-{params.kb}", "kb-report", markdown, f"Knowledge base {params.kb}")
    return {
        "ingest": ingested,
        "dialogues": report,
        "dataset": str(version.path) if version else None,
        "report": markdown,
    }
