"""Device, precision, gradient checkpointing, quantisation and the memory check: refusals before
any weight is loaded, and the CPU paths (fp16 with its gradient scaler, checkpointing) trained
for real on the tiny model."""

import json
import os
import re
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

import pipeline.train.memory as memory
from pipeline.errors import SeedforgeError
from pipeline.train.base_model import load_causal_lm
from pipeline.train.config import TrainConfig
from pipeline.train.hardware import HardwareConfig, Placement, cpu_has_native_bf16, resolve_placement
from pipeline.train.lora import train_lora
from pipeline.train.outputs import placement_text
from tests.train.conftest import RECORDS

SHORT = TrainConfig(
    epochs=4, learning_rate=1e-2, batch_size=2, micro_batch_size=1, lora_dropout=0.05, save_steps=2
)


@pytest.mark.parametrize(("native_bf16", "expected"), [(False, "fp32"), (True, "bf16")])
def test_auto_placement_on_a_cpu_only_torch_is_bf16_where_the_cpu_has_it(
    native_bf16: bool, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = {"avx2": True, "avx512_bf16": native_bf16, "amx_bf16": False}
    monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: found)
    placement = resolve_placement(HardwareConfig())
    assert (placement.device, placement.precision, placement.load_in) == ("cpu", expected, None)
    assert placement.weights_precision == "fp32"  # frozen weights stay fp32 under CPU autocast
    assert placement.scaler() is None
    assert resolve_placement(HardwareConfig(precision="fp16", device="cpu")).scaler() is not None


@pytest.mark.parametrize(
    ("found", "native"),
    [({"avx512_bf16": False, "amx_bf16": True}, True), ({"avx512_bf16": False}, False), (None, False)],
)
def test_the_capability_probe(found: dict | None, native: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if found is None:  # a torch without torch.cpu.get_capabilities (older than 2.7)
        monkeypatch.delattr(torch.cpu, "get_capabilities")
    else:
        monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: found)
    assert cpu_has_native_bf16() is native


def test_the_run_card_names_what_the_run_computed_under() -> None:
    assert placement_text(Placement("cpu", "bf16").describe()) == "cpu, bf16"
    quantised = {**Placement("cuda", "bf16", "4bit", True).describe(), "processes": 2}
    assert placement_text(quantised) == "cuda, bf16, base 4bit, gradient checkpointing, 2 processes"


def test_an_emulated_half_precision_on_the_cpu_is_warned_about(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: {"avx2": True})
    with caplog.at_level("WARNING", logger="pipeline.train.hardware"):
        assert resolve_placement(HardwareConfig(precision="bf16")).precision == "bf16"
    assert "--precision bf16 on this CPU: its bfloat16 kernels are emulated" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="pipeline.train.hardware"):
        resolve_placement(HardwareConfig(precision="fp32"))
    assert caplog.text == ""


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"device": "cuda"}, "--device cuda: no CUDA device is available (torch 2."),
        ({"device": "mps"}, "--device mps: Apple's Metal backend is not available"),
        ({"load_in": "4bit"}, "--load-in 4bit: quantised (QLoRA) bases need a CUDA GPU"),
        (
            {"load_in": "8bit", "device": "cpu"},
            "--load-in 8bit: quantised (QLoRA) bases need a CUDA GPU (bitsandbytes), "
            "and this run's device is cpu",
        ),
    ],
)
def test_a_device_or_quantisation_that_is_not_there_is_refused_before_loading(
    settings, expected, tmp_path: Path
) -> None:
    config = SHORT.model_copy(update=settings)
    # the base does not exist: an error about it would mean loading was tried first
    with pytest.raises(SeedforgeError, match="^" + re.escape(expected)):
        train_lora(RECORDS, RECORDS, config, str(tmp_path / "no-such-base"), tmp_path / "out")
    assert not (tmp_path / "out" / "adapter").exists()


def test_hardware_settings_are_validated() -> None:
    with pytest.raises(ValueError, match="device"):
        TrainConfig(device="tpu")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="load_in"):
        TrainConfig(load_in="2bit")  # type: ignore[arg-type]


def test_parameters_are_counted_from_the_weights_files_and_from_the_config(tiny_llama_dir: Path) -> None:
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_llama_dir)
    true = sum(p.numel() for p in model.parameters())
    assert memory.parameter_count(str(tiny_llama_dir)) == true
    config = json.loads((tiny_llama_dir / "config.json").read_text())
    assert memory._config_numel(config) == true
    # a 7B LLaMA from its config alone: 6.74B
    llama7b = {
        "hidden_size": 4096,
        "num_hidden_layers": 32,
        "vocab_size": 32000,
        "intermediate_size": 11008,
        "num_attention_heads": 32,
    }
    assert memory._config_numel(llama7b) == pytest.approx(6.738e9, rel=1e-3)


def test_a_base_too_large_for_free_memory_is_refused_with_the_shortfall(
    tiny_llama_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(memory, "available_bytes", lambda device: 1_000_000)
    loaded = []
    monkeypatch.setattr("transformers.AutoModelForCausalLM.from_pretrained", lambda *a, **k: loaded.append(a))
    with pytest.raises(
        SeedforgeError, match=r"needs about 0\.0 GiB, and 0\.0 GiB is free — short by"
    ) as caught:
        load_causal_lm(str(tiny_llama_dir), Placement("cpu", "fp32"))
    assert "training it in fp32 on cpu" in str(caught.value) and str(tiny_llama_dir) in str(caught.value)
    assert loaded == []
    needed = memory.needed_bytes(7_000_000_000, Placement("cuda", "bf16"))
    assert needed == pytest.approx(7e9 * 2 * 1.2)
    assert memory.needed_bytes(7_000_000_000, Placement("cuda", "bf16", "4bit")) < needed / 3


def test_fp16_with_its_gradient_scaler_trains_and_skips_overflowing_steps(
    tiny_llama_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The alpaca-lora V100 trap: fp16 without loss scaling turns losses into NaN. Here a
    scale far too large makes the first steps' fp16 gradients overflow: each such step must
    be skipped (weights and schedule untouched, scale lowered), and training goes on."""
    monkeypatch.setattr(
        Placement, "scaler", lambda self: torch.amp.GradScaler(self.device, init_scale=2.0**40)
    )
    config = SHORT.model_copy(
        update={"device": "cpu", "precision": "fp16", "epochs": 30, "lora_dropout": 0.0}
    )
    result = train_lora(RECORDS, RECORDS, config, str(tiny_llama_dir), tmp_path)
    metrics = result.metrics
    history = metrics["history"]
    assert metrics["placement"]["precision"] == "fp16"
    assert metrics["skipped_steps"] > 0
    skipped = [entry for entry in history if entry.get("skipped")]
    assert len(skipped) == metrics["skipped_steps"] < len(history)
    # the schedule waited while steps were skipped: the learning rate never moved during them
    assert history[0]["lr"] == history[len(skipped) - 1]["lr"]
    assert all(entry["train_loss"] == entry["train_loss"] for entry in history)  # no NaN
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    weights = load_file(result.adapter_dir / "adapter_model.safetensors")
    assert all(bool(torch.isfinite(w).all()) and w.dtype == torch.float32 for w in weights.values())


def test_fp16_checkpoints_carry_the_loss_scale(tiny_llama_dir: Path, tmp_path: Path) -> None:
    config = SHORT.model_copy(update={"device": "cpu", "precision": "fp16"})
    train_lora(RECORDS, RECORDS, config, str(tiny_llama_dir), tmp_path)
    (checkpoint,) = sorted((tmp_path / "checkpoints").glob("checkpoint-*"))[-1:]
    saved = torch.load(checkpoint / "trainer_state.pt", weights_only=True)
    assert saved["scaler"]["scale"] > 0
    identity = json.loads((checkpoint / "trainer_state.json").read_text())["identity"]
    assert identity["precision"] == "fp16" and "device" not in identity


def test_gradient_checkpointing_gives_the_same_trajectory(tiny_llama_dir: Path, tmp_path: Path) -> None:
    """Dropout on: the non-reentrant checkpoint restores the RNG when it recomputes."""
    plain = train_lora(RECORDS, RECORDS, SHORT, str(tiny_llama_dir), tmp_path / "plain")
    checkpointed = train_lora(
        RECORDS,
        RECORDS,
        SHORT.model_copy(update={"gradient_checkpointing": True}),
        str(tiny_llama_dir),
        tmp_path / "checkpointed",
    )
    losses = [entry["train_loss"] for entry in plain.metrics["history"]]
    again = [entry["train_loss"] for entry in checkpointed.metrics["history"]]
    assert again == pytest.approx(losses, rel=1e-5)
    assert checkpointed.metrics["placement"]["gradient_checkpointing"] is True
    assert losses[-1] != pytest.approx(losses[0])


def test_hub_kernels_stay_off_unless_the_user_asks(
    tiny_llama_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # transformers 5.2x turns use_kernels on by default and fetches kernels from the Hub on the
    # first model.train() on CUDA: offline that is a ValueError before the first step
    monkeypatch.delenv("USE_HUB_KERNELS", raising=False)
    model = load_causal_lm(str(tiny_llama_dir), Placement("cpu", "fp32"))
    assert not getattr(model, "use_kernels", False)
    monkeypatch.setenv("USE_HUB_KERNELS", "YES")  # the user's choice is kept
    load_causal_lm(str(tiny_llama_dir), Placement("cpu", "fp32"))
    assert os.environ["USE_HUB_KERNELS"] == "YES"


def test_a_micro_batch_larger_than_the_batch_is_recorded_as_what_runs() -> None:
    """`--micro-batch-size 3 --batch-size 2` ran 2 a step while the run card said 3."""
    from pipeline.pretrain.config import PretrainConfig

    assert TrainConfig(batch_size=2).micro_batch_size == 2
    assert TrainConfig(batch_size=8, micro_batch_size=3).micro_batch_size == 3
    assert PretrainConfig(batch_size=2, micro_batch_size=3).model_dump()["micro_batch_size"] == 2
