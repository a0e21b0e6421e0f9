"""evaluate: a tuned adapter against its base on the dataset's decontaminated held-out split:
held-out loss, ROUGE-L, semantic similarity and the LLM judge (pipeline/evaluate)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows.artifacts import artifact_key
from flows.hooks import stop_child_processes
from flows.key_block import load_api_key_from_block
from flows.retries import retry_unless_it_fails_the_same
from pipeline.config import EvaluateParams
from pipeline.dataset.versions import load_version, resolve_version
from pipeline.evaluate.run import evaluate_build
from pipeline.report.progress import stage_line
from pipeline.train.base_model import prepare_base_model


# the judge calls an LLM endpoint: retried; answered judge requests replay from the journal
@task(
    name="evaluate-tuned-vs-base",
    cache_policy=NO_CACHE,
    retries=1,
    retry_delay_seconds=5,
    retry_condition_fn=retry_unless_it_fails_the_same,
)
def evaluation_task(params: EvaluateParams, version_path: Path, base: str) -> dict[str, Any]:
    _, train, heldout = load_version(version_path)
    out_dir = Path(params.adapter_dir).parent / "evaluation"
    judge = params.judge if params.evaluate.judge else None
    return evaluate_build(
        heldout,
        base,
        Path(params.adapter_dir),
        params,
        out_dir,
        judge,
        train_records=train,
        publish_key=artifact_key(params.name, "evaluation-report"),
    )


@flow(
    name="evaluate",
    log_prints=True,
    persist_result=True,
    on_cancellation=[stop_child_processes],
    on_crashed=[stop_child_processes],
)
def evaluate(params: EvaluateParams) -> dict[str, Any]:
    """Compare the tuned adapter with its base on data it was not trained on."""
    load_api_key_from_block()
    version_path = resolve_version(params.dataset)
    base = prepare_base_model(params.train.base_model)
    figures = evaluation_task(params, version_path, base)
    loss = figures.get("loss") or {}
    if loss:
        stage_line(
            "evaluate", f"held-out loss base {loss['base_loss']:.4f} -> tuned {loss['tuned_loss']:.4f}"
        )
    stage_line("evaluate", f"report {figures['outputs']['report_md']}")
    return figures
