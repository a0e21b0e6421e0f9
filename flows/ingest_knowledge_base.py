"""ingest_knowledge_base: KB files -> versioned KB store -> grounded dialogues for new or
changed entries -> dataset version of all the KB's dialogues -> report with coverage."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel, ConfigDict, Field

from flows.artifacts import publish_dataset_link, publish_markdown, publish_samples
from flows.key_block import load_api_key_from_block
from pipeline.config import REPO_ROOT, EvaluateConfig, LLMConfig, data_dir
from pipeline.dataset.versions import read_records, split_heldout, write_version
from pipeline.generate.dialogues import DialogueConfig
from pipeline.generate.dialogues_build import DialogueBuild, build_dialogues
from pipeline.kb.ingest import ingest
from pipeline.kb.store import KBStore
from pipeline.report.progress import stage_line

MIN_RECORDS_FOR_VERSION = 2  # a version needs a train and a held-out record


class KnowledgeBaseParams(BaseModel):
    """The KB flow's form."""

    model_config = ConfigDict(extra="forbid")
    kb: str = Field(default="medical", description="Knowledge-base name (store under DATA_DIR/kb)")
    paths: list[str] = Field(default_factory=lambda: ["seeds/kb/medical_conditions.csv"],
                             description="KB files or directories; relative to the project folder")
    mapping: str | None = Field(default=None, description="Field-mapping YAML/JSON file")
    dialogues: DialogueConfig = Field(default_factory=DialogueConfig)
    llm: LLMConfig = Field(default_factory=lambda: LLMConfig(max_tokens=256))
    evaluate: EvaluateConfig = Field(default_factory=EvaluateConfig)
    exports: list[Literal["alpaca_json", "jsonl", "sharegpt", "openai_chat", "parquet"]] = Field(
        default_factory=lambda: ["jsonl", "sharegpt", "openai_chat"])


def _path(value: str) -> Path:
    path = Path(value)
    return path if path.is_absolute() else REPO_ROOT / path


@task(name="ingest-kb", cache_policy=NO_CACHE)
def ingest_task(params: KnowledgeBaseParams) -> dict[str, Any]:
    with KBStore.open(data_dir(), params.kb) as store:
        report = ingest(store, params.kb, [_path(p) for p in params.paths],
                        _path(params.mapping) if params.mapping else None)
    return {"totals": report.totals(), "sources": {s.source: s.counts() for s in report.sources}}


@task(name="generate-dialogues", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=5)
def dialogues_task(params: KnowledgeBaseParams, out: Path) -> DialogueBuild:
    def on_round(run: Any) -> None:
        stage_line("dialogue", f"round {run.rounds}: {len(run.kept)} grounded of {run.candidates}")

    return build_dialogues(params.kb, out, params.dialogues, params.llm, on_round=on_round)


def _report(params: KnowledgeBaseParams, ingested: dict[str, Any], build: DialogueBuild,
            version: Any) -> str:
    report = build.report
    totals = ingested["totals"]
    rate = report["grounded_rate"]
    lines = [
        f"# Knowledge base `{params.kb}`", "",
        f"Ingest: {totals['new']} new, {totals['changed']} changed, {totals['unchanged']} unchanged,"
        f" {totals['removed']} removed.", "",
        f"Dialogues ({params.dialogues.turns} turn(s)): {report['pending']} pending entries,"
        f" {report['attempted']} attempted, {report['kept']} grounded"
        + (f" (grounded rate {rate:.0%})" if rate is not None else "") + ".",
        f"Rejected: {report.get('rejected') or 'none'}.", "",
        f"Dataset version: `{version.path}`." if version else
        f"Fewer than {MIN_RECORDS_FOR_VERSION} dialogues so far: no dataset version yet.",
        "", "```", build.coverage_text, "```",
    ]
    return "\n".join(lines) + "\n"


@flow(name="ingest-knowledge-base", log_prints=True)
def ingest_knowledge_base(params: KnowledgeBaseParams = KnowledgeBaseParams()) -> dict[str, Any]:
    """Ingest KB files, generate grounded dialogues for new or changed entries, version them."""
    load_api_key_from_block()
    ingested = ingest_task(params)
    stage_line("ingest", f"{params.kb}: {ingested['totals']}")
    out = data_dir() / "kb" / f"{params.kb}.dialogues-turns{params.dialogues.turns}.jsonl"
    build = dialogues_task(params, out)
    stage_line("dialogue", f"{build.report['kept']} grounded, rate {build.report['grounded_rate']}")
    version = None
    records = read_records(out) if out.exists() else []  # every dialogue of the KB so far
    if len(records) >= MIN_RECORDS_FOR_VERSION:
        train, heldout = split_heldout(records, params.evaluate.heldout_fraction, params.evaluate.min_heldout)
        version = write_version(f"kb-{params.kb}", train, heldout, build.rejected,
                                config=params.model_dump(mode="json"),
                                stats={k: v for k, v in build.report.items() if k != "coverage"},
                                exports=params.exports)
        publish_dataset_link(f"kb-{params.kb}", version.path, version.version)
        publish_samples(f"kb-{params.kb}", build.kept)
    markdown = _report(params, ingested, build, version)
    publish_markdown(f"kb-{params.kb}", "kb-report", markdown, f"Knowledge base {params.kb}")
    return {"ingest": ingested, "dialogues": build.report,
            "dataset": str(version.path) if version else None, "report": markdown}
