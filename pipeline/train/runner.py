"""What `seedforge train` does between parsing options and exiting: read the dataset, split
off validation records, prepare the base model, train under a rich progress bar (loss, last
validation loss, ETA), optionally merge, and print where everything went."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from pipeline.report.progress import progress_lines_on
from pipeline.train.config import TrainConfig
from pipeline.train.data import DataReport
from pipeline.user_files import check_output_folder, output_folder_kept_only_if_used


class TrainProgress:
    """The hooks train_lora calls, drawn as one rich progress bar."""

    def __init__(self, console: Console):
        self.console = console
        self.progress = Progress(
            TextColumn("[bold]train"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("loss {task.fields[loss]}"),
            TextColumn("val {task.fields[val]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
            disable=not progress_lines_on(),  # seedforge --quiet
        )
        self.task: Any = None

    def on_start(self, total: int, done: int, train: DataReport, validation: DataReport) -> None:
        self._report("train", train)
        if validation.records:
            self._report("validation", validation)
        if done:
            self.console.print(f"resuming at step {done} of {total}")
        self.progress.start()
        self.task = self.progress.add_task("train", total=total, completed=done, loss="-", val="-")

    def _report(self, split: str, report: DataReport) -> None:
        dropped = ", ".join(f"{n} {reason}" for reason, n in report.dropped.items()) or "none dropped"
        self.console.print(
            f"{split}: {report.examples} of {report.records} records, {report.input_tokens:,} tokens "
            f"({report.trained_tokens:,} trained); longer than cutoff {report.longer_than_cutoff} "
            f"(truncated {report.truncated}); {dropped}"
        )

    def on_step(self, step: int, total: int, loss: float) -> None:
        self.progress.update(self.task, completed=step, loss=f"{loss:.4f}")

    def on_eval(self, step: int, loss: float) -> None:
        self.progress.update(self.task, val=f"{loss:.4f}")

    def stop(self) -> None:
        self.progress.stop()


def run_training(
    dataset: str, out: Path, config: TrainConfig, *, resume: Path | bool, merge: bool
) -> dict[str, Any]:
    from pipeline.train.base_model import prepare_base_model
    from pipeline.train.export import merge_adapter
    from pipeline.train.hardware import resolve_placement
    from pipeline.train.loop import TrainingInterrupted
    from pipeline.train.lora import train_lora
    from pipeline.train.sources import load_training_data, split_validation
    from pipeline.train.templates import resolve_template

    main_process = os.environ.get("RANK", "0") == "0"  # under accelerate launch, one voice
    console = Console(stderr=True, quiet=not main_process)  # progress; the outputs go to stdout
    check_output_folder(out)  # a file, or a folder that cannot be written: before any loading
    resolve_template(config.template)  # an unknown template fails before any loading
    resolve_placement(config)  # so does a device, precision or quantisation that is not there
    data = load_training_data(dataset)
    train, validation = split_validation(data.records, config.val_set_size, config.seed)
    console.print(
        f"dataset {data.source['path']}: {len(data.records)} records -> train "
        f"{len(train)}, validation {len(validation)}"
    )
    base = prepare_base_model(config.base_model)
    console.print(f"base model {base}")
    progress = TrainProgress(console)
    with output_folder_kept_only_if_used(out):  # a run failing before it wrote leaves no empty --out
        try:
            result = train_lora(
                train,
                validation,
                config,
                base,
                out,
                on_step=progress.on_step,
                on_eval=progress.on_eval,
                on_start=progress.on_start,
                resume=resume,
                dataset=data.source,
            )
        except TrainingInterrupted as exc:
            progress.stop()
            where = f"checkpoint {exc.checkpoint}" if exc.checkpoint else "the last periodic checkpoint"
            console.print(
                f"interrupted after step {exc.step}; to continue from {where}, run the "
                "same command again with --resume (same options: a changed one is refused)"
            )
            sys.exit(130)
        finally:
            progress.stop()
    metrics = result.metrics
    if not main_process:
        return metrics
    outputs = {
        "adapter": result.adapter_dir,
        "metrics": out / "metrics.json",
        "loss curve": out / "loss.png",
        "run card": out / "run_card.md",
    }
    if merge:
        outputs["merged model"] = merge_adapter(result.adapter_dir, out / "merged")
    val = metrics["validation_loss"]
    console = Console(quiet=not main_process)  # the results, on stdout
    console.print(
        f"{metrics['steps']} steps in {metrics['seconds']:.0f} s, "
        f"{metrics['tokens_per_second']} tokens/s; final train loss "
        f"{metrics['final_train_loss']:.4f}" + ("" if val is None else f", validation {val:.4f}")
    )
    for name, path in outputs.items():
        console.print(f"  {name:<13} {path}")
    return metrics
