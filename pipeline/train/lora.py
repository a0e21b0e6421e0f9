"""LoRA fine-tuning with PEFT in a plain torch loop: prompts masked, EOS appended and learned,
packing without cross-attention between records, resumable, and an adapter that loads with
plain PEFT onto the base its adapter_config.json names."""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.errors import SeedforgeError
from pipeline.io import publish_dir, staging_dir
from pipeline.records import AlpacaRecord, Record, utc_now
from pipeline.train.base_model import (
    configure_torch,
    load_causal_lm,
    load_tokenizer,
    pad_id_of,
    peft_wrapping,
)
from pipeline.train.checkpoint import (
    ADAPTER_WEIGHTS,
    TrainState,
    find_resume_checkpoint,
    fingerprint,
    finished_run,
    list_checkpoints,
    load_checkpoint,
    restore_rng,
    resumes_latest,
    run_identity,
)
from pipeline.train.config import TrainConfig
from pipeline.train.data import DataReport, prepare_examples, tokenize_all
from pipeline.train.distributed import join, leave
from pipeline.train.hardware import Placement, resolve_placement
from pipeline.train.loop import Hooks, TrainingRun, mean_loss, run_loop, schedule_for
from pipeline.train.outputs import card_result, software_versions, write_run_outputs
from pipeline.user_files import check_output_folder

__all__ = ["TrainResult", "train_lora", "mean_loss", "tokenize_all", "ADAPTER"]

ADAPTER = "adapter"


@dataclass
class TrainResult:
    adapter_dir: Path
    metrics: dict[str, Any]


StartHook = Callable[[int, int, DataReport, DataReport], None]


def _refuse_used_out_dir(out_dir: Path, resuming: bool) -> None:
    if resuming:
        return
    if (out_dir / ADAPTER).exists() or list_checkpoints(out_dir):
        raise SeedforgeError(
            "already holds a training run (adapter/ or checkpoints/): pass "
            "--resume to continue it, or choose another --out",
            path=out_dir,
        )


def _records_digest(train: list[Record], validation: list[Record]) -> str:
    digest = hashlib.sha256()
    for name, records in (("train", train), ("validation", validation)):
        digest.update(name.encode())
        for record in records:
            digest.update(record.id.encode())
    return digest.hexdigest()[:16]


def _lora_model(base_model: str, config: TrainConfig, placement: Placement) -> Any:
    from peft import LoraConfig

    model = load_causal_lm(base_model, placement)
    lora = LoraConfig(
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=config.target_modules,
        task_type="CAUSAL_LM",
    )
    return with_lora(model, lora)


def with_lora(model: Any, lora: Any) -> Any:
    """`model` wrapped by PEFT with the LoRA config `lora`; target modules the model lacks are
    a SeedforgeError naming them."""
    from peft import get_peft_model

    try:
        with peft_wrapping():
            return get_peft_model(model, lora)
    except ValueError as exc:
        targets = lora.target_modules  # PEFT keeps a list of names as a set
        shown = sorted(targets) if isinstance(targets, set | frozenset) else targets
        raise SeedforgeError(f"LoRA target modules {shown}: {exc}") from None


def _save_adapter(model: Any, tokenizer: Any, out_dir: Path) -> tuple[Path, dict[str, int]]:
    """Save, then check the file really holds every LoRA matrix: alpaca-lora's adapters of a
    few hundred bytes came from a state_dict override that saved nothing."""
    from safetensors import safe_open

    target = out_dir / ADAPTER
    with staging_dir(target) as staging:
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        wrapped = sum(1 for _, module in model.named_modules() if "default" in getattr(module, "lora_A", {}))
        with safe_open(str(staging / ADAPTER_WEIGHTS), "pt") as weights:
            keys = list(weights.keys())
            trained_b = sum(1 for k in keys if "lora_B" in k and bool(weights.get_tensor(k).any()))
        if len(keys) != 2 * wrapped or trained_b == 0:
            raise SeedforgeError(
                f"the saved adapter is incomplete: {len(keys)} tensors for "
                f"{wrapped} LoRA modules, {trained_b} trained",
                path=staging,
            )
        publish_dir(staging, target)  # a resumed run replaces what an earlier finish left
    return target, {"tensors": len(keys), "bytes": (target / ADAPTER_WEIGHTS).stat().st_size}


def _metrics(
    state: TrainState,
    run: TrainingRun,
    reports: dict[str, DataReport],
    adapter: dict[str, int],
    base_model: str,
    wall: float,
) -> dict[str, Any]:
    seconds = state.train_seconds
    final_val = state.evals[-1]["val_loss"] if state.evals else None
    return {
        "base_model": base_model,
        "steps": state.step,
        "total_steps": run.schedule.total_steps,
        "epochs": state.step / run.schedule.steps_per_epoch,
        "train_examples": len(run.train),
        "validation_examples": len(run.validation),
        "truncated_examples": reports["train"].truncated,
        "data": {name: report.as_dict() for name, report in reports.items()},
        "trained_tokens": state.trained_tokens,
        "input_tokens": state.input_tokens,
        "computed_tokens": state.computed_tokens,
        "padding_fraction": round(1 - state.input_tokens / max(state.computed_tokens, 1), 4),
        "seconds": round(seconds, 2),
        "wall_seconds": round(wall, 2),
        "tokens_per_second": round(state.input_tokens / seconds, 1) if seconds else None,
        "trained_tokens_per_second": round(state.trained_tokens / seconds, 1) if seconds else None,
        "final_train_loss": state.history[-1]["train_loss"],
        "validation_loss": final_val,
        "history": state.history,
        "evals": state.evals,
        "trainable_parameters": sum(p.numel() for p in run.trainable),
        "adapter_tensors": adapter["tensors"],
        "adapter_bytes": adapter["bytes"],
        "resumed_from": state.resumed_from,
        "placement": {**run.placement.describe(), "processes": run.ranks.world},
        "skipped_steps": state.skipped_steps,
        "config": run.config.model_dump(mode="json"),
        "run_fingerprint": fingerprint(run.identity),
    }


def _card(
    metrics: dict[str, Any],
    run: TrainingRun,
    kinds: dict[str, int],
    tokenizer: Any,
    dataset: dict[str, Any] | None,
    adapter_dir: Path,
) -> dict[str, Any]:
    schedule = run.schedule
    template = (
        run.config.template
        if not kinds.get("messages")
        else (f"{run.config.template} (Alpaca records); chat template (messages records)")
    )
    hyper = {
        **run.config.model_dump(mode="json"),
        "base_model": metrics["base_model"],
        "gradient_accumulation_steps": schedule.accumulation,
        "effective_warmup_steps": schedule.warmup_steps,
        "steps_per_epoch": schedule.steps_per_epoch,
        "total_steps": schedule.total_steps,
        "validation_records": len(run.validation),
        "optimizer": "AdamW (torch)",
        "lr_scheduler": "linear warmup then linear decay to 0",
    }
    return {
        "created_at": utc_now(),
        "adapter_dir": str(adapter_dir),
        "base_model": metrics["base_model"],
        "dataset": {**(dataset or {}), "record_kinds": kinds},
        "template": template,
        "eos_token": tokenizer.eos_token,
        "hyperparameters": hyper,
        "data": metrics["data"],
        "result": card_result(metrics, "adapter_bytes"),
        "software": software_versions(),
    }


def train_lora(
    train: list[Record],
    validation: list[Record],
    config: TrainConfig,
    base_model: str,
    out_dir: Path,
    *,
    on_step: Callable[[int, int, float], None] | None = None,
    on_eval: Callable[[int, float], None] | None = None,
    on_start: StartHook | None = None,
    resume: str | Path | bool | None = None,
    dataset: dict[str, Any] | None = None,
) -> TrainResult:
    """Train and write OUT/adapter, metrics.json, loss.png and the run card. `resume`: True
    (the newest checkpoint in out_dir) or a checkpoint directory. `dataset`: the source's
    identity (path, name, version, sha256) for the run card."""
    if not train:
        raise SeedforgeError("the training set is empty")
    import torch
    from transformers import get_linear_schedule_with_warmup

    wall_started = time.monotonic()
    out_dir = Path(out_dir)
    check_output_folder(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    placement = resolve_placement(config)  # a device or precision that is not there: before loading
    identity = run_identity(
        config, placement, base_model=base_model, records=_records_digest(train, validation)
    )
    done = finished_run(out_dir, identity) if resumes_latest(resume) else None
    if done is not None:
        return TrainResult(out_dir / ADAPTER, done)
    checkpoint = find_resume_checkpoint(out_dir, resume)
    _refuse_used_out_dir(out_dir, checkpoint is not None)
    ranks = join(placement.device)  # several processes under accelerate launch / torchrun
    configure_torch(config.torch_threads)
    tokenizer = load_tokenizer(base_model)
    train_examples, train_report = prepare_examples(train, tokenizer, config)
    val_examples, val_report = prepare_examples(validation, tokenizer, config, split="validation")
    schedule = schedule_for(len(train_examples), config)

    random.seed(config.seed)
    torch.manual_seed(config.seed)  # LoRA's A matrices are drawn here
    model = _lora_model(base_model, config, placement)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=config.learning_rate, weight_decay=config.weight_decay)
    scheduler = get_linear_schedule_with_warmup(  # type: ignore[no-untyped-call]
        optimizer, schedule.warmup_steps, schedule.total_steps
    )
    run = TrainingRun(
        model,
        optimizer,
        scheduler,
        config,
        schedule,
        train_examples,
        val_examples,
        pad_id_of(tokenizer),
        out_dir,
        identity,
        placement,
        placement.scaler(),
        ranks,
    )
    state = TrainState()
    if checkpoint is not None:
        state, rng = load_checkpoint(checkpoint, model, optimizer, scheduler, identity, run.scaler)
        restore_rng(rng)
        state.resumed_from.append(state.step)
    if on_start:
        on_start(schedule.total_steps, state.step, train_report, val_report)
    state = run_loop(run, state, Hooks(on_step=on_step, on_eval=on_eval))

    if not ranks.main:  # the first process writes the adapter and the reports
        leave(ranks)
        return TrainResult(out_dir / ADAPTER, {"rank": ranks.rank, "steps": state.step})
    adapter_dir, adapter = _save_adapter(model, tokenizer, out_dir)
    reports = {"train": train_report, "validation": val_report}
    metrics = _metrics(state, run, reports, adapter, base_model, time.monotonic() - wall_started)
    kinds = {"alpaca": sum(isinstance(r, AlpacaRecord) for r in train)}
    kinds["messages"] = len(train) - kinds["alpaca"]
    write_run_outputs(out_dir, metrics, _card(metrics, run, kinds, tokenizer, dataset, adapter_dir))
    leave(ranks)
    return TrainResult(adapter_dir, metrics)
