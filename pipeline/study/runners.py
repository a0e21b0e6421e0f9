"""The in-process way to train and evaluate a size (the CLI's; the flow wraps these in tasks
or runs the fine-tune flow for each size instead)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipeline.evaluate.evalsets import EvalItem
from pipeline.evaluate.judging import Judge
from pipeline.evaluate.run import EvalRequest, run_evaluation
from pipeline.records import Record
from pipeline.report.progress import stage_line
from pipeline.study.build import StudyRun
from pipeline.study.config import SizeStudyConfig
from pipeline.study.plan import PlannedSize
from pipeline.train.checkpoint import list_checkpoints


def prepare_train_dir(out_dir: Path) -> bool:
    """True when out_dir holds a checkpoint to resume from; a folder left without one (killed
    before its first checkpoint) is removed, so the size starts over."""
    resume = bool(out_dir.is_dir() and list_checkpoints(out_dir))
    if out_dir.exists() and not resume:
        shutil.rmtree(out_dir)
    return resume


def train_size(
    config: SizeStudyConfig, records: list[Record], validation: list[Record], base: str, out_dir: Path
) -> Path:
    """Train one size into out_dir, resuming from its newest checkpoint."""
    from pipeline.train.lora import train_lora

    resume = prepare_train_dir(out_dir)
    result = train_lora(records, validation, config.train, base, out_dir, resume=resume or None)
    return result.adapter_dir


def evaluate_size(
    config: SizeStudyConfig,
    items: list[EvalItem],
    judge: Judge,
    adapter: Path,
    base: str,
    out_dir: Path,
    name: str,
) -> dict[str, Any]:
    request = EvalRequest(
        base_model=base,
        adapter_dir=adapter,
        out_dir=out_dir,
        train=config.train,
        settings=config.evaluate,
        judge=judge if config.evaluate.judge else None,
        eval_set_name=name,
    )
    return run_evaluation(items, request)


def local_run(
    config: SizeStudyConfig,
    judge: Judge,
    *,
    train_fn: Callable[..., Path] = train_size,
    evaluate_fn: Callable[..., dict[str, Any]] = evaluate_size,
    timings: dict[str, dict[str, Any]] | None = None,
) -> StudyRun:
    """A StudyRun over `train_size` and `evaluate_size` (or the flow's task-wrapped versions)."""

    def train(
        size: PlannedSize, records: list[Record], validation: list[Record], base: str, out: Path
    ) -> Path:
        return train_fn(config, records, validation, base, out)

    def evaluate(
        size: PlannedSize, adapter: Path, base: str, items: list[EvalItem], eval_set: str, out: Path
    ) -> dict[str, Any]:
        return evaluate_fn(config, items, judge, adapter, base, out, eval_set)

    return StudyRun(train=train, evaluate=evaluate, progress=stage_line, timings=timings or {})
