"""One dataset build, for `seedforge build` and the build-dataset flow alike:

  check (seeds, language, settings of earlier builds, the index) ─► claim the build (new, or
  the unfinished one resumed) ─► earlier builds (parent version, pool, index) ─► self-instruct
  ─► mark duplicates of earlier builds ─► publish (version, then index) ─► finish the build ─►
  report

Everything that can refuse the build does so before the first request. The flow passes its
tasks in (`batch_fn`, `publish_fn`); nothing here imports Prefect."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pipeline.build.history import History, build_settings, check_settings, load_history, open_build_index
from pipeline.build.publish import Publication, backfill_index, publish_build
from pipeline.build.result import DatasetBuild
from pipeline.build.summary import summarize
from pipeline.config import BuildConfig
from pipeline.dataset.builds import BUDGET_STOPPED, ClaimedBuild, claimed_build
from pipeline.dataset.versions import datasets_root, latest_version
from pipeline.generate.self_instruct.batch import BatchFn, generate_batch
from pipeline.generate.self_instruct.build import build as build_self_instruct
from pipeline.generate.self_instruct.loop import SelfInstructResult
from pipeline.generate.self_instruct.parallel import Launch
from pipeline.generate.self_instruct.report import generation_stats
from pipeline.generate.self_instruct.seeds import load_seed_tasks
from pipeline.generate.self_instruct.templates import template_set
from pipeline.llm.endpoint import Endpoint, check_endpoint
from pipeline.llm.journal_location import check_journal
from pipeline.llm.request import BUDGET_EXHAUSTED
from pipeline.llm.step import Progress
from pipeline.records import SeedTask
from pipeline.report.progress import stage_line
from pipeline.review.gate import AskFn, review_build
from pipeline.stage import MAX_REQUESTS

PublishFn = Callable[..., Publication]  # publish_build, or the flow's task around it


@dataclass
class BuildHooks:
    """What a caller watches: the claimed build, seeds, the endpoint, each batch."""

    on_claim: Callable[[ClaimedBuild, History], None] | None = None
    on_seeds: Callable[[list[SeedTask]], None] | None = None
    on_endpoint: Callable[[Endpoint], None] | None = None
    on_batch: Callable[[SelfInstructResult], None] | None = None
    progress: Progress | None = None
    on_done: Callable[[DatasetBuild], None] | None = None


def endpoint_line(endpoint: Endpoint) -> str:
    """Every endpoint a build routes over, with the model each is asked for."""
    if len(endpoint.replicas) > 1:
        served = ", ".join(f"{r.base_url} ({r.model})" for r in endpoint.replicas)
        return f"{len(endpoint.replicas)} endpoints: {served}"
    return f"endpoint {endpoint.base_url} model {endpoint.model}"


def stage_lines(config: BuildConfig) -> BuildHooks:
    """One line per event on the terminal (and in Prefect's logs)."""

    def on_claim(claim: ClaimedBuild, history: History) -> None:
        how = f"resumed (run {claim.state.runs})" if claim.resumed else "new"
        parent = f"v{history.parent.version:04d}" if history.parent else "nothing (first build)"
        stage_line("build", f"{claim.id}: {how}, build {claim.state.number} of {config.name}, grows {parent}")

    def on_batch(result: SelfInstructResult) -> None:
        stage_line(
            "generate",
            f"batch {result.batches}: {result.candidates} candidates, "
            f"{len(result.kept)} kept, {len(result.rejected)} rejected, "
            f"{result.usage.requests_sent} sent, {result.usage.journal_hits} from journal",
        )

    def on_done(built: DatasetBuild) -> None:
        growth, data = built.summary["growth"], built.summary["dataset"]
        stage_line("curate", built.generated.summary())
        if data["new"]:
            stage_line(
                "dataset",
                f"{data['path']} (train {data['train']}, held-out {data['heldout']}): "
                f"{growth['added']} new, {growth['total']} in all, dropped as duplicates of "
                f"earlier builds {growth['dropped_as_duplicates_of_earlier_builds']}",
            )
        else:
            where = data["path"] or "no version"
            stage_line("dataset", f"{where} unchanged: this build added nothing: {growth['why']}")
        if built.claim.state.status == BUDGET_STOPPED:
            stage_line(
                "build",
                f"{built.claim.id} stopped on its budget: run it again with a larger "
                "generate.max_requests or llm.budget_usd / llm.budget_tokens to resume it "
                "(its answers are replayed, not paid again)",
            )

    return BuildHooks(
        on_claim=on_claim,
        on_done=on_done,
        on_seeds=lambda seeds: stage_line("seeds", f"{len(seeds)} seed tasks from {config.generate.seeds}"),
        on_endpoint=lambda endpoint: stage_line("llm", endpoint_line(endpoint)),
        on_batch=on_batch,
    )


def build_budget(config: BuildConfig) -> dict[str, Any]:
    """The limits a build stopped on its budget is resumed past (None: no limit)."""
    return {
        "max_requests": config.generate.max_requests,
        "budget_usd": config.llm.budget_usd,
        "budget_tokens": config.llm.budget_tokens,
    }


def build_dataset(
    config: BuildConfig,
    *,
    batch_fn: BatchFn = generate_batch,
    launch_fn: Launch | None = None,
    publish_fn: PublishFn = publish_build,
    hooks: BuildHooks | None = None,
    review_fn: AskFn | None = None,
) -> DatasetBuild:
    """The next build of `config.name` (or its unfinished one, resumed). `batch_fn` runs one
    generation batch and `publish_fn` publishes (the flow passes its tasks); `hooks` default
    to one terminal line per event; `review_fn` asks a reviewer about a sample before the
    version is written (`review.sample`; the flow pauses for the Prefect UI). Raises
    SeedforgeError for bad input before any request. `launch_fn`, when given, starts a batch
    without waiting for it (the flow's task `submit`: `generate.parallel_batches` in flight)."""
    started = time.monotonic()
    hooks = hooks if hooks is not None else stage_lines(config)
    root = datasets_root()
    load_seed_tasks(config.generate.seeds)  # bad input fails before anything is written
    template_set(config.generate.language)
    check_settings(config, root)
    check_journal()  # an unreachable or misnamed journal fails before the build is claimed
    check_endpoint(config.llm)  # so do an endpoint that does not answer and batch mode without batches
    if config.score.enabled and config.score.llm is not None:
        check_endpoint(config.score.judge_llm(config.llm))  # and a judge of its own that does not
    index = open_build_index(config)
    latest = latest_version(config.name, root)
    budget = build_budget(config)
    try:
        with claimed_build(
            root, config.name, latest.version if latest else None, build_settings(config), budget
        ) as claim:
            history = load_history(config, claim.state.parent, index, root)
            backfill_index(config, history)
            if hooks.on_claim:
                hooks.on_claim(claim, history)
            generated = build_self_instruct(
                config,
                claim.id,
                batch_fn=batch_fn,
                launch=launch_fn,
                on_seeds=hooks.on_seeds,
                on_endpoint=hooks.on_endpoint,
                on_batch=hooks.on_batch,
                progress=hooks.progress,
                earlier=history.earlier(claim.state.number),
                index=index,
            )
            dropped = history.mark_duplicates(generated.rejected)
            stats = generation_stats(generated)  # what curation kept, before the reviewer
            review = review_build(config.name, claim.id, generated, config.review, review_fn)
            if review.message:
                stage_line("review", f"{review.status}: {review.message}")
            publication = publish_fn(
                config, claim.id, history, generated, dropped, stats, review=review.manifest()
            )
            seconds = time.monotonic() - started
            built = DatasetBuild(config, claim, generated, publication, stats, seconds, review=review)
            # the report before the build is marked finished: a run killed in between resumes
            # this build, finds its version published and writes the report then
            built.summary = summarize(built)
            version = publication.version.version if publication.version and publication.new else None
            outcome = {**publication.growth, "nothing_added": publication.nothing_added}
            if version is None and generated.stop_reason in (MAX_REQUESTS, BUDGET_EXHAUSTED):
                claim.stop_on_budget(outcome, budget)  # more budget resumes it
            else:
                claim.finish(version, outcome)
    except BaseException:
        if index is not None:
            index.abort()  # nothing this run staged survives it
        raise
    if hooks.on_done:
        hooks.on_done(built)
    return built
