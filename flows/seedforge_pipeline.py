"""The whole loop as one Prefect flow: generate -> curate -> dataset version -> LoRA -> evaluate.

Thin by design: every task wraps a plain function from `pipeline/`; generation runs one task
per batch of prompts (never one per record)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from pipeline.config import PipelineConfig, data_dir, demo_config
from pipeline.curate.curator import Curator
from pipeline.dataset.versions import DatasetVersion, split_heldout, write_version
from pipeline.evaluate.heldout import heldout_comparison
from pipeline.generate.seeds import load_seed_tasks
from pipeline.generate.self_instruct import generate_batch, run_self_instruct
from pipeline.llm.endpoint import open_endpoint
from pipeline.llm.journal import Journal
from pipeline.records import AlpacaRecord
from pipeline.report.markdown import render_run_report
from pipeline.report.progress import stage_line
from pipeline.train.base_model import prepare_base_model
from pipeline.train.lora import TrainResult, train_lora

generate_batch_task = task(
    generate_batch, name="generate-batch", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=5
)


@task(name="write-dataset-version", cache_policy=NO_CACHE)
def write_dataset_task(config: PipelineConfig, kept: list[AlpacaRecord], rejected: list,
                       stats: dict[str, Any]
                       ) -> tuple[DatasetVersion, list[AlpacaRecord], list[AlpacaRecord]]:
    train, heldout = split_heldout(kept, config.evaluate.heldout_fraction, config.evaluate.min_heldout)
    version = write_version(config.name, train, heldout, rejected,
                            config=config.model_dump(mode="json"), stats=stats)
    return version, train, heldout


@task(name="prepare-base-model", cache_policy=NO_CACHE)
def prepare_base_task(spec: str | None) -> str:
    return prepare_base_model(spec)


@task(name="train-lora", cache_policy=NO_CACHE)
def train_task(config: PipelineConfig, train: list[AlpacaRecord], heldout: list[AlpacaRecord],
               base: str, out_dir: Path) -> TrainResult:
    def progress(step: int, total: int, loss: float) -> None:
        if step == 1 or step == total or step % 5 == 0:
            stage_line("train", f"step {step}/{total} loss {loss:.4f}")

    return train_lora(train, heldout, config.train, base, out_dir, on_step=progress)


@task(name="evaluate-heldout", cache_policy=NO_CACHE)
def evaluate_task(config: PipelineConfig, heldout: list[AlpacaRecord], base: str,
                  adapter_dir: Path) -> dict[str, Any]:
    return heldout_comparison(heldout, base, adapter_dir, config.train)


@flow(name="seedforge-pipeline", log_prints=True)
def seedforge_pipeline(config: PipelineConfig = demo_config()) -> dict[str, Any]:
    """Build a self-instruct dataset, LoRA-tune the base on it, and compare tuned vs base."""
    build = f"{config.name}-{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%SZ')}"
    run_dir = data_dir() / "runs" / build
    run_dir.mkdir(parents=True, exist_ok=True)
    seeds = load_seed_tasks(config.generate.seeds)
    stage_line("seeds", f"{len(seeds)} seed tasks from {config.generate.seeds}")
    curator = Curator(config.curate)
    curator.add_seeds(seeds)
    journal = Journal(data_dir() / "journal.sqlite3")

    def on_batch(result: Any) -> None:
        stage_line("generate", f"batch {result.batches}: {result.candidates} candidates, "
                   f"{len(result.kept)} kept, {len(result.rejected)} rejected, "
                   f"{result.llm['requests_sent']} sent, {result.llm['journal_hits']} from journal")

    with open_endpoint(config.llm, log_path=run_dir / "llm-server.log") as endpoint:
        stage_line("llm", f"endpoint {endpoint.base_url} model {endpoint.model}")
        generated = run_self_instruct(seeds, config.generate, config.llm, endpoint, journal,
                                      curator, build, batch_fn=generate_batch_task, on_batch=on_batch)
    journal.close()
    gen_stats = {"seeds": len(seeds), "requests": generated.requests, "batches": generated.batches,
                 "candidates": generated.candidates, "failures": dict(generated.failures),
                 "llm": dict(generated.llm)}
    version, train, heldout = write_dataset_task(config, generated.kept, generated.rejected,
                                                     gen_stats)
    manifest = version.manifest
    stage_line("curate", f"kept {len(train) + len(heldout)}, rejected {len(generated.rejected)} "
               f"{manifest['counts']['rejected_by_reason']}")
    stage_line("dataset", f"{version.path} (train {len(train)}, held-out {len(heldout)})")
    base = prepare_base_task(config.train.base_model)
    stage_line("train", f"base model {base}")
    trained = train_task(config, train, heldout, base, run_dir / "train")
    evaluation = evaluate_task(config, heldout, base, trained.adapter_dir)
    stage_line("evaluate", f"held-out loss base {evaluation['base_loss']:.4f} "
               f"-> tuned {evaluation['tuned_loss']:.4f}")
    summary = {
        "build": build,
        "generate": gen_stats,
        "dataset": {**manifest["counts"], "version": version.version, "path": str(version.path)},
        "train": {k: v for k, v in trained.metrics.items() if k not in ("history", "config")},
        "evaluate": evaluation,
        "outputs": {
            "dataset version": str(version.path),
            "rejected records": str(version.path / "rejected.jsonl"),
            "adapter": str(trained.adapter_dir),
            "training metrics": str(run_dir / "train" / "metrics.json"),
            "report": str(run_dir / "report.md"),
            "journal": str(data_dir() / "journal.sqlite3"),
        },
    }
    report = render_run_report(summary)
    (run_dir / "report.md").write_text(report, encoding="utf-8")
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    create_markdown_artifact(markdown=report, key=f"{config.name.lower().replace('_', '-')}-report",
                             description=f"seedforge run {build}")
    return summary

