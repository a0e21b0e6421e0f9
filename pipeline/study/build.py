"""`build`: the size study end to end, resumable — the entry point of `seedforge study sizes`
and of the size-study flow.

OUT/plan.json                 the nested subsets (written first; a resumed study must match it)
OUT/sizes/<label>/subset.json the record ids of one size
OUT/sizes/<label>/train/      `train_lora`'s folder (adapter/, metrics.json, run card, checkpoints)
OUT/sizes/<label>/eval/       `run_evaluation`'s folder (report.json, items.jsonl, plots)
OUT/study.json, report.md, plots/curves.png

A size whose training finished (metrics.json and the run card written) or whose evaluation
finished (report.json) is reused; a training interrupted after a checkpoint resumes from it.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.errors import SeedforgeError
from pipeline.evaluate.evalsets import EvalItem
from pipeline.io import write_atomic, write_json_atomic
from pipeline.records import Record, utc_now
from pipeline.report.progress import stage_line
from pipeline.study.config import SizeStudyConfig
from pipeline.study.inputs import StudyInputs, load_inputs
from pipeline.study.plan import PlannedSize, check_resumable
from pipeline.study.results import summarize_study

PLAN, STUDY_JSON, REPORT_MD, CURVES = "plan.json", "study.json", "report.md", "plots/curves.png"
TRAIN_DONE = ("metrics.json", "run_card.md")

# (size, its records, validation records, base model, out dir) -> adapter dir
TrainFn = Callable[[PlannedSize, list[Record], list[Record], str, Path], Path]
# (size, adapter dir, base model, eval items, eval set name, out dir) -> the evaluation report
EvalFn = Callable[[PlannedSize, Path, str, list[EvalItem], str, Path], dict[str, Any]]


def size_dir(out: Path, size: PlannedSize) -> Path:
    return out / "sizes" / size.label


def trained(train_dir: Path) -> bool:
    return all((train_dir / name).is_file() for name in TRAIN_DONE)


def evaluated(eval_dir: Path) -> bool:
    return (eval_dir / "report.json").is_file()


@dataclass
class StudyRun:
    """How the sizes are trained and evaluated; the flow passes Prefect-wrapped functions."""

    train: TrainFn
    evaluate: EvalFn
    progress: Callable[[str, str], None] = stage_line
    # per size label: train_seconds, eval_seconds, reused; a caller that trained sizes itself
    # enters them here, so they are not reported as reused
    timings: dict[str, dict[str, Any]] = field(default_factory=dict)


def prepare(
    dataset: str | Path, config: SizeStudyConfig, out: Path, eval_set: str | Path | None = None
) -> StudyInputs:
    """Load and check everything, write (or check) the plan and the subsets; no training."""
    inputs = load_inputs(dataset, config, eval_set)
    out.mkdir(parents=True, exist_ok=True)
    if (out / PLAN).is_file():
        check_resumable(out / PLAN, inputs.plan)
    elif any(out.iterdir()):
        raise SeedforgeError("output folder exists, is not empty and holds no study plan", path=out)
    else:
        write_json_atomic(out / PLAN, inputs.plan.model_dump(mode="json"))
    for size in inputs.plan.sizes:
        subset = size_dir(out, size) / "subset.json"
        if not subset.is_file():
            write_json_atomic(subset, size.ids)
    return inputs


def _train_size(run: StudyRun, inputs: StudyInputs, size: PlannedSize, base: str, out: Path) -> Path:
    train_dir = size_dir(out, size) / "train"
    trained_by_caller = size.label in run.timings  # the flow trains sizes first, then calls build
    timing = run.timings.setdefault(size.label, {"train_seconds": 0.0, "eval_seconds": 0.0, "reused": []})
    if trained(train_dir):
        if not trained_by_caller:
            timing["reused"].append("adapter")
        return train_dir / "adapter"
    wanted = set(size.ids)
    records = [r for r in inputs.train if r.id in wanted]
    if len(records) != len(wanted):
        raise SeedforgeError(
            f"size {size.label}: {len(wanted) - len(records)} planned records are not in the split"
        )
    run.progress("study", f"{size.label}: training on {len(records)} records")
    started = time.monotonic()
    adapter = run.train(size, records, inputs.validation, base, train_dir)
    timing["train_seconds"] = round(time.monotonic() - started, 1)
    return adapter


def _evaluate_size(
    run: StudyRun, inputs: StudyInputs, size: PlannedSize, adapter: Path, base: str, out: Path
) -> dict[str, Any]:
    eval_dir = size_dir(out, size) / "eval"
    timing = run.timings[size.label]
    if evaluated(eval_dir):
        timing["reused"].append("evaluation")
        report: dict[str, Any] = json.loads((eval_dir / "report.json").read_text(encoding="utf-8"))
        return report
    if eval_dir.exists():
        shutil.rmtree(eval_dir)  # an evaluation writes its folder whole; a leftover is debris
    run.progress("study", f"{size.label}: evaluating on the eval set")
    started = time.monotonic()
    report = run.evaluate(size, adapter, base, inputs.items, inputs.eval_set, eval_dir)
    timing["eval_seconds"] = round(time.monotonic() - started, 1)
    return report


def build(
    inputs: StudyInputs, config: SizeStudyConfig, out: Path, run: StudyRun, *, base_model: str
) -> dict[str, Any]:
    """Train and evaluate every size of a prepared study (`prepare`, which checks everything
    before any weight is loaded) not done yet, then write study.json, report.md and the curves.
    Returns the study (what study.json holds)."""
    started = time.monotonic()
    out = Path(out)
    reports = {}
    for size in inputs.plan.sizes:
        adapter = _train_size(run, inputs, size, base_model, out)
        reports[size.label] = _evaluate_size(run, inputs, size, adapter, base_model, out)
    study = summarize_study(inputs, config, reports, run.timings)
    study.update(
        created_at=utc_now(),
        base_model=base_model,
        out=str(out),
        wall_seconds=round(time.monotonic() - started, 1),
    )
    from pipeline.study.plots import curves_png
    from pipeline.study.report import render_markdown
    from pipeline.study.results import curves_of

    write_atomic(out / CURVES, curves_png(*curves_of(study), study["metric"]))
    write_json_atomic(out / STUDY_JSON, study)
    write_atomic(out / REPORT_MD, render_markdown(study, CURVES))
    return study
