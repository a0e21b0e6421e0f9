"""Resumable checkpoints: OUT/checkpoints/checkpoint-N holds the adapter at step N (itself
loadable with PEFT), the optimizer, scheduler and RNG states, and the run's history so far.

A checkpoint is written aside and renamed, so a crash while saving leaves the previous one
intact. Resuming refuses a checkpoint made with other hyperparameters, data or base model:
the loss would jump, which is the alpaca-lora trap this exists to avoid."""

from __future__ import annotations

import hashlib
import json
import logging
import random
import shutil
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from pipeline.errors import SeedforgeError
from pipeline.io import publish_dir, staging_dir
from pipeline.train.hardware import HardwareConfig, Placement, placement_identity
from pipeline.train.outputs import METRICS

log = logging.getLogger(__name__)

CHECKPOINTS = "checkpoints"
STATE_JSON = "trainer_state.json"
STATE_TENSORS = "trainer_state.pt"
ADAPTER_WEIGHTS = "adapter_model.safetensors"


@dataclass
class TrainState:
    """Everything about the run so far that is not a tensor."""

    step: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)
    evals: list[dict[str, Any]] = field(default_factory=list)
    trained_tokens: int = 0
    input_tokens: int = 0
    computed_tokens: int = 0
    train_seconds: float = 0.0
    resumed_from: list[int] = field(default_factory=list)
    skipped_steps: int = 0  # fp16 steps the gradient scaler skipped (overflow)


# settings that change no trajectory; of the placement, what does (precision, quantisation)
# goes in through placement_identity: a run may resume on another device
_NOT_TRAJECTORY = frozenset(
    {
        "eval_steps",
        "save_steps",
        "save_total_limit",
        "torch_threads",
        "base_model",
        *HardwareConfig.model_fields,
    }
)


def run_identity(
    config: BaseModel, placement: Placement, *, ignored: Iterable[str] = (), **facts: Any
) -> dict[str, Any]:
    """What a checkpoint must share with the run resuming it: every setting that changes the
    trajectory, the numerics of the placement, and `facts` (base, data digest, ...)."""
    skip = _NOT_TRAJECTORY | set(ignored)
    settings = {k: v for k, v in config.model_dump(mode="json").items() if k not in skip}
    return {**settings, **facts, **placement_identity(placement)}


def fingerprint(identity: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()[:16]


def capture_rng() -> dict[str, Any]:
    import torch

    state: dict[str, Any] = {"python": random.getstate(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng(state: dict[str, Any]) -> None:
    import torch

    random.setstate(state["python"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def checkpoint_step(path: Path) -> int:
    return int(path.name.rsplit("-", 1)[1])


def list_checkpoints(out_dir: Path) -> list[Path]:
    root = out_dir / CHECKPOINTS
    found = [p for p in root.glob("checkpoint-*") if p.name[11:].isdigit() and (p / STATE_JSON).is_file()]
    return sorted(found, key=checkpoint_step)


def checkpoint_path(out_dir: Path, step: int) -> Path:
    return out_dir / CHECKPOINTS / f"checkpoint-{step}"


def save_checkpoint(
    out_dir: Path,
    model: Any,
    optimizer: Any,
    scheduler: Any,
    state: TrainState,
    rng: dict[str, Any],
    identity: dict[str, Any],
    keep: int,
    scaler: Any = None,
) -> Path:
    import torch

    target = checkpoint_path(out_dir, state.step)
    target.parent.mkdir(parents=True, exist_ok=True)
    with staging_dir(target) as staging:
        model.save_pretrained(staging)
        tensors = {"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(), "rng": rng}
        if scaler is not None:
            tensors["scaler"] = scaler.state_dict()
        torch.save(tensors, staging / STATE_TENSORS)
        (staging / STATE_JSON).write_text(
            json.dumps(
                {"state": asdict(state), "identity": identity, "fingerprint": fingerprint(identity)}, indent=1
            ),
            encoding="utf-8",
        )
        publish_dir(staging, target)
    for old in list_checkpoints(out_dir)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return target


def _differences(saved: dict[str, Any], current: dict[str, Any]) -> list[str]:
    keys = sorted(set(saved) | set(current))
    return [f"{k}: {saved.get(k)!r} -> {current.get(k)!r}" for k in keys if saved.get(k) != current.get(k)]


def _with_precision(identity: dict[str, Any]) -> dict[str, Any]:
    return {**identity, "precision": identity.get("precision", "fp32")}  # fp32 is left out of it


def load_checkpoint(
    path: Path,
    model: Any,
    optimizer: Any,
    scheduler: Any,
    identity: dict[str, Any],
    scaler: Any = None,
) -> tuple[TrainState, dict[str, Any]]:
    """Restore adapter weights, optimizer, scheduler (and fp16 loss scale) in place; return the
    state and RNG."""
    import torch
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    meta_path = path / STATE_JSON
    if not meta_path.is_file():
        raise SeedforgeError("not a seedforge training checkpoint (no trainer_state.json)", path=path)
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta["fingerprint"] != fingerprint(identity):
        saved, current = _with_precision(meta["identity"]), _with_precision(identity)
        changed = "; ".join(_differences(saved, current))
        hint = "the same data, base model and hyperparameters"
        if saved["precision"] != current["precision"]:
            # `auto` resolves by machine: bf16 on CPUs with native bfloat16, fp32 on others
            hint += f" (--precision {saved['precision']})"
        raise SeedforgeError(
            f"checkpoint was made by a different run ({changed}); resume with {hint}", path=path
        )
    result = set_peft_model_state_dict(model, load_file(path / ADAPTER_WEIGHTS))
    unexpected = getattr(result, "unexpected_keys", None)
    if unexpected:
        raise SeedforgeError(f"checkpoint weights do not fit the model: {unexpected[:3]}", path=path)
    tensors = torch.load(path / STATE_TENSORS, weights_only=True)
    optimizer.load_state_dict(tensors["optimizer"])
    scheduler.load_state_dict(tensors["scheduler"])
    if scaler is not None and "scaler" in tensors:
        scaler.load_state_dict(tensors["scaler"])
    return TrainState(**meta["state"]), tensors["rng"]


def resumes_latest(resume: str | Path | bool | None) -> bool:
    return resume is True or resume == "latest"


def finished_run(
    out_dir: Path, identity: dict[str, Any], last_written: str = METRICS
) -> dict[str, Any] | None:
    """The metrics of the run in out_dir when it finished every step with this identity and
    wrote its outputs through `last_written`, else None: `--resume` of a finished run returns
    them instead of training its last steps again."""
    path = out_dir / METRICS
    if not path.is_file() or not (out_dir / last_written).is_file():
        return None
    metrics: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    finished = metrics.get("steps") == metrics.get("total_steps")
    if not finished or metrics.get("run_fingerprint") != fingerprint(identity):
        return None
    log.info("%s: this run finished all %d steps already; nothing to resume", out_dir, metrics["steps"])
    return metrics


def find_resume_checkpoint(out_dir: Path, resume: str | Path | bool | None) -> Path | None:
    """`True`/"latest": the newest checkpoint in out_dir; a path: that checkpoint."""
    if resume is None or resume is False:
        return None
    if resume is True or resume == "latest":
        found = list_checkpoints(out_dir)
        if not found:
            raise SeedforgeError("no checkpoint to resume from", path=out_dir / CHECKPOINTS)
        return found[-1]
    path = Path(resume)
    if not (path / STATE_JSON).is_file():
        raise SeedforgeError("not a seedforge training checkpoint (no trainer_state.json)", path=path)
    return path
