"""An interrupted-and-resumed run must follow the uninterrupted run: optimizer, scheduler,
RNG (dropout is on) and step all restored."""

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

import pipeline.train.loop as loop
from pipeline.errors import SeedforgeError
from pipeline.records import AlpacaRecord, Lineage
from pipeline.train.config import TrainConfig
from pipeline.train.loop import TrainingInterrupted
from pipeline.train.lora import train_lora

pytestmark = pytest.mark.slow

RECORDS = [
    AlpacaRecord(instruction=f"Spell the number {i} in words.", output=w, lineage=Lineage(generator="t"))
    for i, w in enumerate(["Zero.", "One.", "Two.", "Three.", "Four.", "Five.", "Six."])
]
CONFIG = TrainConfig(
    epochs=3,
    batch_size=3,
    micro_batch_size=1,
    learning_rate=1e-2,
    lora_dropout=0.2,
    eval_steps=3,
    save_steps=5,
    warmup_steps=2,
    packing=False,
)
TOTAL = 9  # 3 epochs of 3 steps (3 + 3 + 1 records)


def _train(base: Path, out: Path, **kwargs):
    return train_lora(RECORDS[:7], RECORDS[5:], CONFIG, str(base), out, **kwargs)


def _curve(metrics: dict) -> list[tuple]:
    return [(h["step"], h["train_loss"], h["lr"], h.get("val_loss")) for h in metrics["history"]]


def _assert_same_run(resumed: dict, reference: dict, adapter: Path, reference_adapter: Path) -> None:
    assert [c[0] for c in _curve(resumed)] == list(range(1, TOTAL + 1))
    for got, want in zip(_curve(resumed), _curve(reference), strict=False):
        assert got[0] == want[0] and got[2] == pytest.approx(want[2])
        assert got[1] == pytest.approx(want[1], rel=1e-5, abs=1e-6)
        assert (got[3] is None) == (want[3] is None)
        if want[3] is not None:
            assert got[3] == pytest.approx(want[3], rel=1e-5)
    weights = load_file(adapter / "adapter_model.safetensors")
    for name, tensor in load_file(reference_adapter / "adapter_model.safetensors").items():
        torch.testing.assert_close(weights[name], tensor, rtol=1e-5, atol=1e-6)


@pytest.fixture(scope="module")
def uninterrupted(tiny_llama_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("whole")
    return _train(tiny_llama_dir, out), out


def test_interrupted_mid_step_and_resumed_matches_uninterrupted(
    uninterrupted, tiny_llama_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference, _ = uninterrupted
    real_loss, calls = loop.summed_token_loss, {"n": 0}

    def interrupt_in_step_five(model, batch):  # its 2nd micro-batch: gradients half-summed
        calls["n"] += 1
        if calls["n"] == (3 + 3 + 1) + 1 + 3 + 2:  # steps 1-3, evaluation at 3, step 4, step 5
            raise KeyboardInterrupt
        return real_loss(model, batch)

    monkeypatch.setattr(loop, "summed_token_loss", interrupt_in_step_five)
    with pytest.raises(TrainingInterrupted) as stopped:
        _train(tiny_llama_dir, tmp_path)
    assert stopped.value.step == 4 and stopped.value.checkpoint == tmp_path / "checkpoints" / "checkpoint-4"
    assert not (tmp_path / "adapter").exists() and not (tmp_path / "metrics.json").exists()
    monkeypatch.setattr(loop, "summed_token_loss", real_loss)

    resumed = _train(tiny_llama_dir, tmp_path, resume=True)
    assert resumed.metrics["resumed_from"] == [4]
    _assert_same_run(resumed.metrics, reference.metrics, resumed.adapter_dir, reference.adapter_dir)
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert len(saved["history"]) == TOTAL


def test_interrupted_between_steps_resumes_from_a_periodic_checkpoint(
    uninterrupted, tiny_llama_dir: Path, tmp_path: Path
) -> None:
    reference, _ = uninterrupted

    def stop_after_seven(step: int, total: int, loss: float) -> None:
        if step == 7:
            raise KeyboardInterrupt

    with pytest.raises(TrainingInterrupted):
        _train(tiny_llama_dir, tmp_path / "a", on_step=stop_after_seven)
    kept = sorted(p.name for p in (tmp_path / "a" / "checkpoints").iterdir())
    assert kept == ["checkpoint-5", "checkpoint-7"]
    # continue from the periodic checkpoint in a fresh output directory
    resumed = _train(tiny_llama_dir, tmp_path / "b", resume=tmp_path / "a" / "checkpoints" / "checkpoint-5")
    assert resumed.metrics["resumed_from"] == [5]
    _assert_same_run(resumed.metrics, reference.metrics, resumed.adapter_dir, reference.adapter_dir)


def test_resume_refuses_other_hyperparameters_and_reuse_needs_resume(
    uninterrupted, tiny_llama_dir: Path, tmp_path: Path
) -> None:
    _, out = uninterrupted
    checkpoint = out / "checkpoints" / "checkpoint-5"
    changed = CONFIG.model_copy(update={"learning_rate": 5e-3})
    with pytest.raises(SeedforgeError, match=r"different run \(learning_rate: 0.01 -> 0.005\)"):
        train_lora(RECORDS, RECORDS[5:], changed, str(tiny_llama_dir), tmp_path, resume=checkpoint)
    # `auto` resolves by machine (bf16 on CPUs with AVX512-BF16): the refusal names the precision
    made = json.loads((out / "metrics.json").read_text())["placement"]["precision"]
    other = CONFIG.model_copy(update={"precision": "fp16"})
    expected = rf"different run \(precision: '{made}' -> 'fp16'\); .* \(--precision {made}\)"
    with pytest.raises(SeedforgeError, match=expected):
        train_lora(RECORDS, RECORDS[5:], other, str(tiny_llama_dir), tmp_path, resume=checkpoint)
    with pytest.raises(SeedforgeError, match="already holds a training run"):
        _train(tiny_llama_dir, out)
    with pytest.raises(SeedforgeError, match="no checkpoint to resume from"):
        _train(tiny_llama_dir, tmp_path / "empty", resume=True)


def test_resuming_a_finished_run_trains_nothing(
    uninterrupted, tiny_llama_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--resume` on a run that finished returns it as it is: no step trained, nothing rewritten."""
    reference, out = uninterrupted
    written = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}

    def no_training(*args, **kwargs):
        raise AssertionError("a finished run was trained again")

    monkeypatch.setattr(loop, "summed_token_loss", no_training)
    again = _train(tiny_llama_dir, out, resume=True)
    assert again.adapter_dir == reference.adapter_dir and again.metrics == reference.metrics
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == written
    monkeypatch.undo()
    other = CONFIG.model_copy(update={"learning_rate": 5e-3})
    with pytest.raises(SeedforgeError, match=r"different run \(learning_rate"):
        train_lora(RECORDS[:7], RECORDS[5:], other, str(tiny_llama_dir), out, resume=True)
