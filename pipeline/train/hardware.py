"""Where a training run computes and in which precision: the device (CPU, CUDA, Apple MPS), the
compute dtype (fp32, bf16, or fp16 with loss scaling), gradient checkpointing, and a 4-/8-bit
quantised base (QLoRA, CUDA only). Every refusal happens here, before any weight is loaded.

The fp16 trap of alpaca-lora on V100s (a base loaded in fp16, adapters trained in fp16 without
loss scaling, losses turning to NaN) cannot happen: LoRA weights are always float32 and fp16
always runs under autocast with a gradient scaler, whose skipped steps are counted."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field

from pipeline.errors import SeedforgeError
from pipeline.settings import StrictModel

DeviceName = Literal["auto", "cpu", "cuda", "mps"]
PrecisionName = Literal["auto", "fp32", "bf16", "fp16"]
QuantName = Literal["4bit", "8bit"]

log = logging.getLogger(__name__)


class HardwareConfig(StrictModel):
    """The placement settings `seedforge train` and `seedforge pretrain` share."""

    device: DeviceName = Field(default="auto", description="auto = cuda, else mps, else cpu")
    precision: PrecisionName = Field(
        default="auto",
        description=(
            "auto = bf16 on CUDA where supported, fp16 (loss-scaled) on older GPUs; on the CPU bf16 "
            "where it has native bfloat16 instructions (AVX512-BF16, AMX), fp32 else"
        ),
    )
    gradient_checkpointing: bool = Field(
        default=False, description="Recompute activations in the backward pass: less memory, ~30% more time"
    )
    load_in: QuantName | None = Field(default=None, description="Quantise the frozen base (QLoRA); CUDA only")


_DTYPES = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}


@dataclass(frozen=True)
class Placement:
    device: Literal["cpu", "cuda", "mps"]
    precision: Literal["fp32", "bf16", "fp16"]
    load_in: QuantName | None = None
    gradient_checkpointing: bool = False

    @property
    def compute_dtype(self) -> Any:
        import torch

        return getattr(torch, _DTYPES[self.precision])

    @property
    def weights_precision(self) -> Literal["fp32", "bf16", "fp16"]:
        """The frozen base's precision: halved on an accelerator; on the CPU fp32 weights under
        autocast, since CPU kernels for half types are slower than fp32 ones."""
        return self.precision if self.device != "cpu" else "fp32"

    @property
    def weights_dtype(self) -> Any:
        import torch

        return getattr(torch, _DTYPES[self.weights_precision])

    @property
    def scaled(self) -> bool:
        return self.precision == "fp16"

    @contextlib.contextmanager
    def autocast(self) -> Iterator[None]:
        if self.precision == "fp32":
            yield
            return
        import torch

        with torch.autocast(device_type=self.device, dtype=self.compute_dtype):
            yield

    def scaler(self) -> Any:
        """A gradient scaler for fp16, or None."""
        if not self.scaled:
            return None
        import torch

        return torch.amp.GradScaler(self.device)

    def describe(self) -> dict[str, Any]:
        return {
            "device": self.device,
            "precision": self.precision,
            "load_in": self.load_in,
            "gradient_checkpointing": self.gradient_checkpointing,
        }


CPU = Placement("cpu", "fp32")


def _torch_build() -> str:
    import torch

    if torch.version.cuda is None:
        return f"torch {torch.__version__} is a build without CUDA"
    return (
        f"torch {torch.__version__} (CUDA {torch.version.cuda}) sees no GPU; "
        "check CUDA_VISIBLE_DEVICES and the driver"
    )


def _device(requested: DeviceName) -> Literal["cpu", "cuda", "mps"]:
    import torch

    mps = getattr(torch.backends, "mps", None)
    has_mps = bool(mps is not None and mps.is_available())
    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "mps" if has_mps else "cpu"
    if requested == "cuda" and not torch.cuda.is_available():
        raise SeedforgeError(f"--device cuda: no CUDA device is available ({_torch_build()})")
    if requested == "mps" and not has_mps:
        raise SeedforgeError("--device mps: Apple's Metal backend is not available on this machine")
    return requested


def cpu_has_native_bf16() -> bool:
    """Whether this CPU multiplies bfloat16 natively (AVX512-BF16 or AMX). Where it does, a
    bf16 autocast step of a LoRA run is about 1.5x faster than fp32; where it does not, bf16
    kernels are emulated and several times slower than fp32 ones."""
    import torch

    capabilities = getattr(torch.cpu, "get_capabilities", None)
    if capabilities is None:  # torch older than 2.7
        return False
    found = capabilities()
    return bool(found.get("avx512_bf16") or found.get("amx_bf16"))


def _precision(requested: PrecisionName, device: str) -> Literal["fp32", "bf16", "fp16"]:
    import torch

    if requested == "auto":
        if device == "cuda":
            return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
        if device == "cpu" and cpu_has_native_bf16():
            return "bf16"
        return "fp32"
    if requested == "bf16" and device == "cuda" and not torch.cuda.is_bf16_supported():
        raise SeedforgeError(
            f"--precision bf16: {torch.cuda.get_device_name()} has no bfloat16 support; "
            "use fp16 (loss-scaled)"
        )
    if requested == "fp16" and device == "mps":
        raise SeedforgeError(
            "--precision fp16 needs a gradient scaler, which MPS lacks here; use fp32 or bf16"
        )
    emulated = requested == "fp16" or (requested == "bf16" and not cpu_has_native_bf16())
    if device == "cpu" and emulated:
        log.warning(
            "--precision %s on this CPU: its %s kernels are emulated and several times slower than fp32 ones",
            requested,
            "float16" if requested == "fp16" else "bfloat16",
        )
    return requested


def _check_quantisation(load_in: QuantName | None, device: str) -> None:
    if load_in is None:
        return
    if device != "cuda":
        raise SeedforgeError(
            f"--load-in {load_in}: quantised (QLoRA) bases need a CUDA GPU (bitsandbytes), and this run's "
            f"device is {device}; drop --load-in to train the base in full precision"
        )
    import importlib.util

    if importlib.util.find_spec("bitsandbytes") is None:
        raise SeedforgeError(f"--load-in {load_in} needs bitsandbytes: pip install 'bitsandbytes>=0.43'")


def resolve_placement(config: HardwareConfig) -> Placement:
    """Check the asked-for device, precision and quantisation against this machine."""
    device = _device(config.device)
    precision = _precision(config.precision, device)
    _check_quantisation(config.load_in, device)
    return Placement(device, precision, config.load_in, config.gradient_checkpointing)


def placement_identity(placement: Placement) -> dict[str, Any]:
    """What of the placement a resumed run must share: the numerics (precision, quantisation),
    not the device or checkpointing. Empty for fp32 unquantised, as runs were before."""
    found: dict[str, Any] = {}
    if placement.precision != "fp32":
        found["precision"] = placement.precision
    if placement.load_in:
        found["load_in"] = placement.load_in
    return found


def to_device(batch: dict[str, Any], device: Any) -> dict[str, Any]:
    """The tensors of a collated batch on `device` (counts and other values as they are)."""
    return {key: value.to(device) if hasattr(value, "to") else value for key, value in batch.items()}
