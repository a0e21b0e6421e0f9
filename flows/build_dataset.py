"""build_dataset: seed self-instruct generation -> curation -> dataset version -> exports ->
report. One task per batch of prompts; the journal makes reruns replay instead of re-pay."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows.artifacts import publish_dataset_link, publish_markdown, publish_samples
from flows.key_block import load_api_key_from_block
from pipeline.config import BuildConfig, load_config
from pipeline.dataset.versions import DatasetVersion, split_heldout, write_version
from pipeline.generate.self_instruct.batch import generate_batch
from pipeline.generate.self_instruct.build import build as build_self_instruct
from pipeline.generate.self_instruct.loop import SelfInstructResult
from pipeline.generate.self_instruct.report import generation_stats
from pipeline.io import run_dir as build_run_dir
from pipeline.io import write_atomic
from pipeline.records import Record, RejectedRecord
from pipeline.report.markdown import build_section
from pipeline.report.progress import stage_line
from pipeline.settings import SEEDS_DIR, data_dir

NIGHTLY_CONFIG = SEEDS_DIR / "configs" / "nightly.yaml"

# calls an external service: retried; a retry replays what the journal already holds
generate_batch_task = task(name="generate-batch", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=5)(
    generate_batch
)


@task(name="write-dataset-version", cache_policy=NO_CACHE)
def write_dataset_task(
    config: BuildConfig, kept: list[Record], rejected: list[RejectedRecord], stats: dict[str, Any]
) -> tuple[DatasetVersion, list[Record], list[Record]]:
    train, heldout = split_heldout(kept, config.evaluate.heldout_fraction, config.evaluate.min_heldout)
    version = write_version(
        config.name,
        train,
        heldout,
        rejected,
        exports=[*config.exports],
        config=config.model_dump(mode="json"),
        stats=stats,
    )
    return version, train, heldout


def generate_stage(config: BuildConfig, build: str) -> SelfInstructResult:
    def on_batch(result: SelfInstructResult) -> None:
        stage_line(
            "generate",
            f"batch {result.batches}: {result.candidates} candidates, "
            f"{len(result.kept)} kept, {len(result.rejected)} rejected, "
            f"{result.usage.requests_sent} sent, {result.usage.journal_hits} from journal",
        )

    return build_self_instruct(
        config,
        build,
        batch_fn=generate_batch_task,
        on_seeds=lambda seeds: stage_line("seeds", f"{len(seeds)} seed tasks from {config.generate.seeds}"),
        on_endpoint=lambda endpoint: stage_line(
            "llm", f"endpoint {endpoint.base_url} model {endpoint.model}"
        ),
        on_batch=on_batch,
    )


@flow(name="build-dataset", log_prints=True)
def build_dataset(config: BuildConfig = load_config(NIGHTLY_CONFIG, BuildConfig)) -> dict[str, Any]:
    """Generate instruction data from seed tasks, curate it, and write a dataset version."""
    build = f"{config.name}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%fZ')}"
    load_api_key_from_block()
    generated = generate_stage(config, build)
    gen_stats = generation_stats(generated)
    previous = _latest_path(config.name)
    kept: list[Record] = list(generated.kept)
    version, train, heldout = write_dataset_task(config, kept, generated.rejected, gen_stats)
    manifest = version.manifest
    stage_line(
        "curate",
        f"kept {len(train) + len(heldout)}, rejected {len(generated.rejected)} "
        f"{manifest['counts']['rejected_by_reason']}",
    )
    is_new = previous != version.path
    stage_line(
        "dataset",
        f"{version.path} (train {len(train)}, held-out {len(heldout)})"
        + ("" if is_new else " — unchanged, same content as the latest version"),
    )
    summary = {
        "build": build,
        "generate": gen_stats,
        "dataset": {
            **manifest["counts"],
            "name": config.name,
            "version": version.version,
            "path": str(version.path),
            "exports": manifest.get("exports", {}),
            "new": is_new,
        },
    }
    report = build_section(summary, [getattr(r, "instruction", "") for r in train + heldout])
    run_dir = build_run_dir(build)
    write_atomic(run_dir / "build-report.md", report)
    if is_new:
        write_atomic(version.path / "report.md", report)
    publish_markdown(config.name, "build-report", report, f"Dataset build {build}")
    publish_samples(config.name, train)
    publish_dataset_link(config.name, version.path, version.version)
    summary.update(
        report=str(run_dir / "build-report.md"),
        run_dir=str(run_dir),
        journal=str(data_dir() / "journal.sqlite3"),
    )
    return summary


def _latest_path(name: str):  # type: ignore[no-untyped-def]
    from pipeline.dataset.versions import latest_version

    latest = latest_version(name)
    return latest.path if latest else None
