"""seedforge-pipeline: a dataset build, then fine-tune and evaluation of it. Deployed, it
triggers the fine-tune and evaluate deployments (`run_deployment`); run locally, it calls the
flows directly as subflows."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from prefect import flow
from prefect.client.schemas.objects import FlowRun
from prefect.deployments import run_deployment
from prefect.runtime import deployment as current_deployment

from flows.artifacts import publish_markdown
from flows.build_dataset import build_dataset
from flows.evaluate_adapter import evaluate
from flows.finetune import finetune
from flows.hooks import stop_child_processes
from pipeline.config import BuildConfig, EvaluateParams, FinetuneParams, PipelineConfig, demo_config
from pipeline.errors import SeedforgeError
from pipeline.io import write_atomic, write_json_atomic
from pipeline.report.markdown import pipeline_report

FINETUNE_DEPLOYMENT = "finetune/on-demand"
EVALUATE_DEPLOYMENT = "evaluate/on-demand"


def _call(flow_fn: Any, deployment_name: str, params: Any) -> dict[str, Any]:
    if current_deployment.id is None:
        return cast(dict[str, Any], flow_fn(params))
    # called from a sync flow, run_deployment runs to the end and returns the run itself
    run = cast(
        FlowRun,
        run_deployment(deployment_name, parameters={"params": params.model_dump(mode="json")}, timeout=None),
    )
    if not run.state or not run.state.is_completed():
        raise RuntimeError(f"deployment {deployment_name} ended {run.state and run.state.name}")
    return cast(dict[str, Any], run.state.result())


@flow(
    name="seedforge-pipeline",
    log_prints=True,
    on_cancellation=[stop_child_processes],
    on_crashed=[stop_child_processes],
)
def seedforge_pipeline(config: PipelineConfig = demo_config()) -> dict[str, Any]:
    """Build a self-instruct dataset, LoRA-tune the base on it, and compare tuned vs base."""
    build_config = BuildConfig.model_validate(config.model_dump(exclude={"train"}))
    built = build_dataset(build_config)
    version_path = built["dataset"]["path"]
    if version_path is None:  # a first build that kept too little to make a version
        raise SeedforgeError(f"dataset {config.name!r} has no version to train on: {built['growth']['why']}")
    trained = _call(
        finetune,
        FINETUNE_DEPLOYMENT,
        FinetuneParams(dataset=version_path, train=config.train, run_name=built["build"]),
    )
    evaluation = _call(
        evaluate,
        EVALUATE_DEPLOYMENT,
        EvaluateParams(
            name=config.name,
            dataset=version_path,
            adapter_dir=trained["adapter_dir"],
            train=config.train,
            evaluate=config.evaluate,
            curate=config.curate,
            judge=config.llm,
        ),
    )
    run_dir = Path(built["run_dir"])
    outputs = {
        "dataset version": version_path,
        "rejected records": str(Path(version_path) / "rejected.jsonl"),
        "adapter": trained["adapter_dir"],
        "training metrics": str(Path(trained["adapter_dir"]).parent / "metrics.json"),
        "evaluation report": evaluation["outputs"]["report_md"],
        "report": str(run_dir / "report.md"),
        "journal": built["journal"],
    }
    report = pipeline_report(
        Path(built["report"]),
        {**trained["metrics"], "history": trained["history"]},
        Path(evaluation["outputs"]["report_md"]),
        outputs,
    )
    write_atomic(run_dir / "report.md", report)
    headline = {
        **(evaluation.get("loss") or {}),
        "overall": evaluation["overall"],
        "decontamination": evaluation["decontamination"],
        "judge": evaluation.get("judge"),
    }
    summary = {**built, "train": trained["metrics"], "evaluate": headline, "outputs": outputs}
    write_json_atomic(run_dir / "summary.json", summary)
    publish_markdown(config.name, "report", report, f"seedforge run {built['build']}")
    return summary
