"""build_dataset: one build of a dataset name (pipeline.build.run.build_dataset): generate,
curate against every earlier build, publish the next version (the earlier records plus this
build's), report the growth. Each generation batch is one task (retried; the journal makes a
retry replay instead of re-pay), submitted to the flow's thread-pool task runner so that
`generate.parallel_batches` of them run at once; publishing is one task; an unfinished build is resumed by the
next run."""

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
from flows.review_gate import review_gate
from pipeline.build.publish import publish_build
from pipeline.build.run import build_dataset as run_build
from pipeline.config import BuildConfig, load_config
from pipeline.generate.self_instruct.batch import generate_batch
from pipeline.settings import SEEDS_DIR

NIGHTLY_CONFIG = SEEDS_DIR / "configs" / "nightly.yaml"  # shipped as package data


def nightly_config() -> BuildConfig:
    """The nightly build (seeds/configs/nightly.yaml, shipped with the package), read when a run
    needs it: importing this module reads no file."""
    config: BuildConfig = load_config(NIGHTLY_CONFIG, BuildConfig)
    return config


# calls an external service: retried; a retry replays what the journal already holds
generate_batch_task = task(
    name="generate-batch",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=5,
    retry_condition_fn=retry_unless_it_fails_the_same,
)(generate_batch)
# the next version, then the index: a rerun finds a published version and only commits
publish_task = task(name="write-dataset-version", cache_policy=NO_CACHE)(publish_build)


@flow(
    name="build-dataset",
    log_prints=True,
    on_cancellation=[stop_child_processes],
    on_crashed=[stop_child_processes],
)
def build_dataset(config: BuildConfig | None = None) -> dict[str, Any]:
    """Build the next version of a dataset: new records on top of what earlier builds kept.
    Without a config: the shipped nightly build (seeds/configs/nightly.yaml)."""
    if config is None:
        config = nightly_config()
    load_api_key_from_block()
    built = run_build(
        config,
        batch_fn=generate_batch_task,
        launch_fn=generate_batch_task.submit,  # generate.parallel_batches task runs in flight
        publish_fn=publish_task,
        review_fn=review_gate(),
    )
    generated = built.generated
    warn_if_budget_stop(
        f"build {built.id}", generated.stop_reason, len(generated.kept), config.generate.target
    )
    summary = built.summary
    publish_markdown(
        config.name,
        "build-report",
        Path(summary["report"]).read_text(encoding="utf-8"),
        f"Dataset build {built.id}",
    )
    publish_samples(config.name, built.publication.added)
    version = built.publication.version
    if version is not None:
        publish_dataset_link(config.name, version.path, version.version)
    return summary
