"""finetune: a dataset version -> a LoRA adapter, with the loss curve as an artifact."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows.artifacts import publish_markdown
from pipeline.config import FinetuneParams
from pipeline.dataset.versions import load_version, resolve_version
from pipeline.io import run_dir, write_atomic
from pipeline.report.markdown import training_section
from pipeline.report.progress import stage_line
from pipeline.study.plan import records_in_subset
from pipeline.train.base_model import prepare_base_model
from pipeline.train.checkpoint import list_checkpoints
from pipeline.train.lora import train_lora

prepare_base_task = task(name="prepare-base-model", cache_policy=NO_CACHE)(prepare_base_model)


@task(name="train-lora", cache_policy=NO_CACHE)
def train_task(params: FinetuneParams, version_path: Path, base: str, out_dir: Path) -> dict[str, Any]:
    _, train, heldout = load_version(version_path)
    if params.subset:
        train = records_in_subset(train, Path(params.subset))

    def progress(step: int, total: int, loss: float) -> None:
        if step == 1 or step == total or step % 5 == 0:
            stage_line("train", f"step {step}/{total} loss {loss:.4f}")

    resume = params.resume and bool(list_checkpoints(out_dir))
    result = train_lora(train, heldout, params.train, base, out_dir, on_step=progress, resume=resume or None)
    return {**result.metrics, "adapter_dir": str(result.adapter_dir)}


@flow(name="finetune", log_prints=True, persist_result=True)
def finetune(params: FinetuneParams = FinetuneParams()) -> dict[str, Any]:
    """LoRA-train the base model on a dataset version."""
    version_path = resolve_version(params.dataset)
    run_name = params.run_name or f"finetune-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%fZ')}"
    out_dir = Path(params.out_dir) if params.out_dir else run_dir(run_name) / "train"
    base = prepare_base_task(params.train.base_model)
    stage_line("train", f"base model {base}, dataset {version_path}")
    metrics = train_task(params, version_path, base, out_dir)
    report = f"# Fine-tune `{run_name}`\n\nDataset `{version_path}`, base `{base}`.\n\n" + training_section(
        metrics
    )
    write_atomic(out_dir / "report.md", report)
    publish_markdown(version_path.parent.name, "finetune-report", report, f"Fine-tune {run_name}")
    return {
        "adapter_dir": metrics["adapter_dir"],
        "base_model": base,
        "dataset": str(version_path),
        "metrics": {k: v for k, v in metrics.items() if k not in ("history", "config")},
        "history": metrics["history"],
        "report": str(out_dir / "report.md"),
    }
