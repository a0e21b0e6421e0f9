"""evaluate: a tuned adapter against its base on the dataset's held-out split."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows.artifacts import publish_markdown
from pipeline.config import EvaluateParams
from pipeline.dataset.versions import load_version, resolve_version
from pipeline.evaluate.heldout import heldout_comparison
from pipeline.report.markdown import evaluation_section
from pipeline.report.progress import stage_line
from pipeline.train.base_model import prepare_base_model


@task(name="evaluate-heldout", cache_policy=NO_CACHE)
def heldout_task(params: EvaluateParams, version_path: Path, base: str) -> dict[str, Any]:
    _, _, heldout = load_version(version_path)
    return heldout_comparison(heldout, base, Path(params.adapter_dir), params.train)


@flow(name="evaluate", log_prints=True, persist_result=True)
def evaluate(params: EvaluateParams) -> dict[str, Any]:
    """Compare the tuned adapter with its base on data it was not trained on."""
    version_path = resolve_version(params.dataset)
    base = prepare_base_model(params.train.base_model)
    figures = heldout_task(params, version_path, base)
    stage_line("evaluate", f"held-out loss base {figures['base_loss']:.4f} "
               f"-> tuned {figures['tuned_loss']:.4f}")
    report = f"# Evaluation of `{params.adapter_dir}`\n\n" + evaluation_section(figures)
    Path(params.adapter_dir).parent.joinpath("evaluation.md").write_text(report, encoding="utf-8")
    publish_markdown(version_path.parent.name, "evaluation-report", report, "Tuned vs base")
    return figures
