"""size-study: BELLE's size study as a flow. Each size is trained by the finetune flow — as a
subflow run after run, or (`use_deployments`, in a deployed study) as runs of the finetune
deployment started all at once so several workers train in parallel — then evaluated here;
the report and its curves become an artifact. Rerun with the same name, it resumes."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, cast

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import FlowRun
from prefect.deployments import run_deployment
from prefect.runtime import deployment as current_deployment

from flows.artifacts import publish_markdown
from flows.finetune import finetune
from flows.hooks import stop_child_processes
from pipeline.config import FinetuneParams, SizeStudyParams
from pipeline.errors import SeedforgeError
from pipeline.report.plots import data_uri
from pipeline.settings import data_dir
from pipeline.study.build import CURVES, build, prepare, size_dir, trained
from pipeline.study.plan import PlannedSize
from pipeline.study.report import render_markdown
from pipeline.study.runners import evaluate_size, local_run, prepare_train_dir, train_size
from pipeline.train.base_model import prepare_base_model

FINETUNE_DEPLOYMENT = "finetune/on-demand"

prepare_task = task(name="plan-study", cache_policy=NO_CACHE)(prepare)
prepare_base_task = task(name="prepare-base-model", cache_policy=NO_CACHE)(prepare_base_model)
evaluate_task = task(name="evaluate-size", cache_policy=NO_CACHE)(evaluate_size)
train_task = task(name="train-size", cache_policy=NO_CACHE)(train_size)


def _finetune_params(params: SizeStudyParams, version: Path, out: Path, size: PlannedSize) -> FinetuneParams:
    train_dir = size_dir(out, size) / "train"
    return FinetuneParams(
        dataset=str(version),
        train=params.study.train,
        run_name=f"{out.name}-{size.label}",
        subset=str(size_dir(out, size) / "subset.json"),
        out_dir=str(train_dir),
        resume=prepare_train_dir(train_dir),
    )


def _wait(runs: list[FlowRun]) -> None:
    with get_client(sync_client=True) as client:
        pending = {run.id: run for run in runs}
        while pending:
            time.sleep(2)
            for run_id in list(pending):
                state = client.read_flow_run(run_id).state
                if state is not None and state.is_final():
                    if not state.is_completed():
                        raise SeedforgeError(f"fine-tune run {pending[run_id].name} ended {state.name}")
                    del pending[run_id]


def _train_pending(
    params: SizeStudyParams, version: Path, out: Path, sizes: list[PlannedSize]
) -> dict[str, dict[str, Any]]:
    """Train the sizes not trained yet; returns their timings (wall time of each size's run)."""
    timings: dict[str, dict[str, Any]] = {}
    if params.use_deployments and current_deployment.id is not None:
        started = [
            cast(
                FlowRun,
                run_deployment(
                    FINETUNE_DEPLOYMENT,
                    parameters={
                        "params": _finetune_params(params, version, out, size).model_dump(mode="json")
                    },
                    timeout=0,  # start them all, then wait: free workers take them in parallel
                ),
            )
            for size in sizes
        ]
        began = time.monotonic()
        _wait(started)
        for size in sizes:  # in parallel: each size's share is the whole wait
            timings[size.label] = _timing(time.monotonic() - began)
        return timings
    for size in sizes:
        began = time.monotonic()
        finetune(_finetune_params(params, version, out, size))
        timings[size.label] = _timing(time.monotonic() - began)
    return timings


def _timing(seconds: float) -> dict[str, Any]:
    return {"train_seconds": round(seconds, 1), "eval_seconds": 0.0, "reused": []}


@flow(
    name="size-study",
    log_prints=True,
    on_cancellation=[stop_child_processes],
    on_crashed=[stop_child_processes],
)
def size_study(params: SizeStudyParams = SizeStudyParams()) -> dict[str, Any]:
    """How much instruction data each task category needs: one adapter per nested subset size,
    every adapter scored on the same eval set, per category; verdicts and a suggested quota."""
    out = data_dir() / "studies" / (params.name or Path(params.dataset).name)
    inputs = prepare_task(params.dataset, params.study, out, params.eval_set)
    base = prepare_base_task(params.study.train.base_model)
    pending = [s for s in inputs.plan.sizes if not trained(size_dir(out, s) / "train")]
    timings = _train_pending(params, inputs.version_path, out, pending)
    config = params.study
    run = local_run(config, config.judge, train_fn=train_task, evaluate_fn=evaluate_task, timings=timings)
    study = build(inputs, config, out, run, base_model=base)
    markdown = render_markdown(study, data_uri((out / CURVES).read_bytes()))
    publish_markdown(out.name, "size-study", markdown, f"Size study of {inputs.version_path}")
    return {
        "out": str(out),
        "report": str(out / "report.md"),
        "verdicts": {v["category"]: v["verdict"] for v in study["verdicts"]},
        "quota": study["quota"],
        "wall_seconds": study["wall_seconds"],
    }
