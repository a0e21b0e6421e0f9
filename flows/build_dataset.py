"""build_dataset: seed self-instruct generation -> curation -> dataset version -> exports ->
report. One task per batch of prompts; the journal makes reruns replay instead of re-pay."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows.artifacts import publish_dataset_link, publish_markdown, publish_samples
from flows.key_block import load_api_key_from_block
from pipeline.config import SEEDS_DIR, BuildConfig, data_dir, load_config
from pipeline.curate.curator import Curator
from pipeline.dataset.versions import DatasetVersion, split_heldout, write_version
from pipeline.generate.seeds import load_seed_tasks
from pipeline.generate.self_instruct import GenerationResult, generate_batch, run_self_instruct
from pipeline.llm.endpoint import open_endpoint
from pipeline.llm.journal import Journal
from pipeline.records import Record
from pipeline.report.markdown import build_section
from pipeline.report.progress import stage_line

NIGHTLY_CONFIG = SEEDS_DIR / "configs" / "nightly.yaml"

# calls an external service: retried; a retry replays what the journal already holds
generate_batch_task = task(generate_batch, name="generate-batch", cache_policy=NO_CACHE,
                           retries=2, retry_delay_seconds=5)


@task(name="write-dataset-version", cache_policy=NO_CACHE)
def write_dataset_task(config: BuildConfig, kept: list[Record], rejected: list,
                       stats: dict[str, Any]) -> tuple[DatasetVersion, list[Record], list[Record]]:
    train, heldout = split_heldout(kept, config.evaluate.heldout_fraction, config.evaluate.min_heldout)
    version = write_version(config.name, train, heldout, rejected, exports=config.exports,
                            config=config.model_dump(mode="json"), stats=stats)
    return version, train, heldout


def generate_stage(config: BuildConfig, build: str) -> tuple[GenerationResult, int]:
    seeds = load_seed_tasks(config.generate.seeds)
    stage_line("seeds", f"{len(seeds)} seed tasks from {config.generate.seeds}")
    curator = Curator(config.curate)
    curator.add_seeds(seeds)
    run_dir = data_dir() / "runs" / build
    run_dir.mkdir(parents=True, exist_ok=True)

    def on_batch(result: GenerationResult) -> None:
        stage_line("generate", f"batch {result.batches}: {result.candidates} candidates, "
                   f"{len(result.kept)} kept, {len(result.rejected)} rejected, "
                   f"{result.llm['requests_sent']} sent, {result.llm['journal_hits']} from journal")

    with Journal(data_dir() / "journal.sqlite3") as journal, \
            open_endpoint(config.llm, log_path=run_dir / "llm-server.log") as endpoint:
        stage_line("llm", f"endpoint {endpoint.base_url} model {endpoint.model}")
        generated = run_self_instruct(seeds, config.generate, config.llm, endpoint, journal, curator,
                                      build, batch_fn=generate_batch_task, on_batch=on_batch)
    return generated, len(seeds)


@flow(name="build-dataset", log_prints=True)
def build_dataset(config: BuildConfig = load_config(NIGHTLY_CONFIG, BuildConfig)) -> dict[str, Any]:
    """Generate instruction data from seed tasks, curate it, and write a dataset version."""
    build = f"{config.name}-{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%S%fZ')}"
    load_api_key_from_block()
    generated, n_seeds = generate_stage(config, build)
    gen_stats = {"seeds": n_seeds, "requests": generated.requests, "batches": generated.batches,
                 "candidates": generated.candidates, "failures": dict(generated.failures),
                 "llm": dict(generated.llm)}
    previous = _latest_path(config.name)
    version, train, heldout = write_dataset_task(config, generated.kept, generated.rejected, gen_stats)
    manifest = version.manifest
    stage_line("curate", f"kept {len(train) + len(heldout)}, rejected {len(generated.rejected)} "
               f"{manifest['counts']['rejected_by_reason']}")
    is_new = previous != version.path
    stage_line("dataset", f"{version.path} (train {len(train)}, held-out {len(heldout)})"
               + ("" if is_new else " — unchanged, same content as the latest version"))
    summary = {
        "build": build,
        "generate": gen_stats,
        "dataset": {**manifest["counts"], "name": config.name, "version": version.version,
                    "path": str(version.path), "exports": manifest.get("exports", {}), "new": is_new},
    }
    report = build_section(summary, [getattr(r, "instruction", "") for r in train + heldout])
    run_dir = data_dir() / "runs" / build
    (run_dir / "build-report.md").write_text(report, encoding="utf-8")
    if is_new:
        (version.path / "report.md").write_text(report, encoding="utf-8")
    publish_markdown(config.name, "build-report", report, f"Dataset build {build}")
    publish_samples(config.name, train)
    publish_dataset_link(config.name, version.path, version.version)
    summary.update(report=str(run_dir / "build-report.md"), run_dir=str(run_dir),
                   journal=str(data_dir() / "journal.sqlite3"))
    return summary


def _latest_path(name: str):  # type: ignore[no-untyped-def]
    from pipeline.dataset.versions import latest_version

    latest = latest_version(name)
    return latest.path if latest else None
