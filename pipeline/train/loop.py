"""The training loop: token-weighted loss across gradient accumulation, gradient clipping,
linear warmup and decay, validation every `eval_steps`, resumable checkpoints every
`save_steps` and on Ctrl-C. Deterministic for a seed: the data order comes from (seed, epoch)
and dropout from torch's generator, whose state every checkpoint carries."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from pipeline.train.batching import collate, collate_rows, epoch_plan, step_micro_batches, summed_token_loss
from pipeline.train.checkpoint import TrainState, capture_rng, checkpoint_path, save_checkpoint
from pipeline.train.config import TrainConfig
from pipeline.train.data import Example
from pipeline.train.distributed import SINGLE, Ranks, sum_gradients, sum_numbers
from pipeline.train.hardware import CPU, Placement, to_device


@dataclass(frozen=True)
class Schedule:
    steps_per_epoch: int
    total_steps: int
    warmup_steps: int
    accumulation: int


def schedule_for(examples: int, config: TrainConfig) -> Schedule:
    steps_per_epoch = math.ceil(examples / config.batch_size)
    total = max(1, math.ceil(config.epochs * steps_per_epoch))
    # alpaca-lora's 100 warmup steps assume ~1,200-step runs; a short run would spend most
    # of itself warming up, so warmup never exceeds a tenth of the run
    warmup = min(config.warmup_steps, total // 10)
    return Schedule(
        steps_per_epoch, total, warmup, max(1, math.ceil(config.batch_size / config.micro_batch_size))
    )


@dataclass
class Hooks:
    on_step: Callable[[int, int, float], None] | None = None
    on_eval: Callable[[int, float], None] | None = None


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C during training; `checkpoint` is where the run can resume from."""

    def __init__(self, checkpoint: Path | None, step: int):
        super().__init__(f"interrupted after step {step}")
        self.checkpoint = checkpoint
        self.step = step


def mean_loss(
    model: Any, examples: Sequence[Example], pad_id: int, batch: int = 8, ranks: Ranks = SINGLE
) -> float:
    """Token-weighted mean loss; examples sorted by length so batches carry little padding.
    With several processes each takes its share of the batches and the sums are added up."""
    import torch

    ordered = sorted(examples, key=lambda e: len(e.input_ids))
    total, tokens = 0.0, 0
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    with torch.no_grad():
        for start in ranks.share(range(0, len(ordered), batch)):
            batch_of = to_device(collate(ordered[start : start + batch], pad_id), device)
            loss, count = summed_token_loss(model, batch_of)
            total += float(loss)
            tokens += count
    model.train(was_training)
    total, summed_tokens = sum_numbers([total, tokens], ranks, device)
    return total / max(summed_tokens, 1)


@dataclass
class TrainingRun:
    """The objects one run trains with, so the loop's helpers take a single argument."""

    model: Any
    optimizer: Any
    scheduler: Any
    config: TrainConfig
    schedule: Schedule
    train: Sequence[Example]  # a list, or blocks read from an array as they are needed
    validation: Sequence[Example]
    pad_id: int
    out_dir: Path
    identity: dict[str, Any]
    placement: Placement = CPU
    scaler: Any = None  # torch.amp.GradScaler for fp16, else None
    ranks: Ranks = SINGLE  # data parallel: this process's share of every step

    @cached_property
    def lengths(self) -> list[int]:
        return [len(e.input_ids) for e in self.train]

    @property
    def trainable(self) -> list[Any]:
        return [p for p in self.model.parameters() if p.requires_grad]


def _accumulate(run: TrainingRun, indices: list[int]) -> dict[str, Any]:
    """Forward and backward over one step's examples (this process's share of its micro-batches);
    gradients hold the step's mean loss, summed over the processes."""
    micro_batches = step_micro_batches(
        indices,
        run.lengths,
        micro_batch_size=run.config.micro_batch_size,
        packing=run.config.packing,
        capacity=run.config.cutoff_len,
    )
    batches = [
        collate_rows([[run.train[i] for i in row] for row in rows], run.pad_id) for rows in micro_batches
    ]
    step_tokens = sum(int((b["labels"][:, 1:] != -100).sum()) for b in batches)
    loss_sum = 0.0
    device = next(run.model.parameters()).device
    for batch in run.ranks.share(batches):
        with run.placement.autocast():
            loss, _ = summed_token_loss(run.model, to_device(batch, device))
        scaled = loss / max(step_tokens, 1)
        (run.scaler.scale(scaled) if run.scaler is not None else scaled).backward()
        loss_sum += float(loss.detach())
    sum_gradients(run.trainable, run.ranks)
    (loss_sum,) = sum_numbers([loss_sum], run.ranks, device)
    return {
        "loss": loss_sum / max(step_tokens, 1),
        "trained_tokens": step_tokens,
        "input_tokens": sum(b["input_tokens"] for b in batches),
        "computed_tokens": sum(b["input_ids"].numel() for b in batches),
    }


def _update(run: TrainingRun) -> tuple[float, bool]:
    """Clip, step, schedule; (gradient norm, whether the step was skipped). With fp16 the
    scaler skips a step whose gradients overflowed and lowers its scale; the learning-rate
    schedule then waits too, as transformers' Trainer does."""
    import torch

    scaler = run.scaler
    if scaler is not None:
        scaler.unscale_(run.optimizer)
    norm = (
        torch.nn.utils.clip_grad_norm_(run.trainable, run.config.max_grad_norm)
        if run.config.max_grad_norm > 0
        else torch.zeros(())
    )
    skipped = False
    if scaler is None:
        run.optimizer.step()
    else:
        scale = scaler.get_scale()
        scaler.step(run.optimizer)
        scaler.update()
        skipped = scaler.get_scale() < scale
    if not skipped:
        run.scheduler.step()
    run.optimizer.zero_grad(set_to_none=True)
    return float(norm), skipped


def _record(
    run: TrainingRun, state: TrainState, sums: dict[str, Any], lr: float, grad_norm: float, seconds: float
) -> dict[str, Any]:
    state.step += 1
    state.trained_tokens += sums["trained_tokens"]
    state.input_tokens += sums["input_tokens"]
    state.computed_tokens += sums["computed_tokens"]
    state.train_seconds += seconds
    entry = {
        "step": state.step,
        "epoch": round(state.step / run.schedule.steps_per_epoch, 4),
        "train_loss": sums["loss"],
        "lr": lr,
        "grad_norm": round(grad_norm, 6),
        "trained_tokens": sums["trained_tokens"],
        "input_tokens": sums["input_tokens"],
        "seconds": round(state.train_seconds, 3),
    }
    state.history.append(entry)
    return entry


def _maybe_evaluate(run: TrainingRun, state: TrainState, entry: dict[str, Any], hooks: Hooks) -> None:
    due = state.step % run.config.eval_steps == 0 or state.step == run.schedule.total_steps
    if not (due and run.validation):
        return
    value = mean_loss(run.model, run.validation, run.pad_id, ranks=run.ranks)
    entry["val_loss"] = value
    state.evals.append({"step": state.step, "val_loss": value})
    if hooks.on_eval:
        hooks.on_eval(state.step, value)


def _save(run: TrainingRun, state: TrainState, rng: dict[str, Any]) -> Path:
    if not run.ranks.main:  # the first process writes; every process holds the same weights
        return checkpoint_path(run.out_dir, state.step)
    return save_checkpoint(
        run.out_dir,
        run.model,
        run.optimizer,
        run.scheduler,
        state,
        rng,
        run.identity,
        run.config.save_total_limit,
        scaler=run.scaler,
    )


def _one_step(run: TrainingRun, state: TrainState, indices: list[int], hooks: Hooks) -> None:
    rng = capture_rng()  # where this step began: an interrupted step restarts from here
    phase = "accumulating"
    try:
        started = time.perf_counter()
        sums = _accumulate(run, indices)
        lr = run.scheduler.get_last_lr()[0]
        phase = "updating"
        grad_norm, skipped = _update(run)
        entry = _record(run, state, sums, lr, grad_norm, time.perf_counter() - started)
        if skipped:
            entry["skipped"] = True  # fp16 overflow: the scaler lowered its scale instead
            state.skipped_steps += 1
        phase = "done"
        if hooks.on_step:
            hooks.on_step(state.step, run.schedule.total_steps, entry["train_loss"])
        _maybe_evaluate(run, state, entry, hooks)
        if state.step % run.config.save_steps == 0 and state.step < run.schedule.total_steps:
            _save(run, state, capture_rng())
    except KeyboardInterrupt:
        saved = None
        if phase == "accumulating":  # weights untouched: the step restarts from its beginning
            run.optimizer.zero_grad(set_to_none=True)
            saved = _save(run, state, rng)
        elif phase == "done":  # evaluation and saving use no random numbers
            saved = _save(run, state, capture_rng())
        raise TrainingInterrupted(saved, state.step) from None


def run_loop(run: TrainingRun, state: TrainState, hooks: Hooks) -> TrainState:
    """Train from `state.step` to the end; the RNG must already be where that step began."""
    config, schedule = run.config, run.schedule
    run.model.train()
    while state.step < schedule.total_steps:
        epoch, offset = divmod(state.step, schedule.steps_per_epoch)
        plan = epoch_plan(
            run.lengths,
            batch_size=config.batch_size,
            micro_batch_size=config.micro_batch_size,
            group_by_length=config.group_by_length,
            seed=config.seed,
            epoch=epoch,
        )
        for indices in plan[offset:]:
            _one_step(run, state, indices, hooks)
            if state.step >= schedule.total_steps:
                break
    return state
