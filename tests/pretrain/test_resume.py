"""A pretraining run interrupted and resumed follows the uninterrupted one (the shared loop's
checkpoints: optimizer, scheduler, RNG with dropout on), and a changed setting is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

import pipeline.train.loop as loop
from pipeline.errors import SeedforgeError
from pipeline.pretrain.run import PretrainHooks, pretrain
from pipeline.train.loop import TrainingInterrupted
from tests.pretrain.conftest import FAST


def _stop_at(step: int) -> PretrainHooks:
    def on_step(done: int, total: int, loss: float) -> None:
        if done == step:
            raise KeyboardInterrupt

    return PretrainHooks(on_step=on_step)


def test_interrupted_and_resumed_matches_uninterrupted(
    pretrained, tiny_llama_dir: Path, clinic_corpus: Path, tmp_path: Path
) -> None:
    reference, reference_out = pretrained
    config = FAST.model_copy(update={"base_model": str(tiny_llama_dir)})
    out = tmp_path / "out"
    with pytest.raises(TrainingInterrupted) as stopped:
        pretrain(clinic_corpus, out, config, hooks=_stop_at(5))
    assert stopped.value.step == 5 and stopped.value.checkpoint == out / "checkpoints" / "checkpoint-5"
    assert not (out / "pretrain.json").exists()  # an unfinished run is no base for chaining

    resumed = pretrain(clinic_corpus, out, config, resume=True)
    assert resumed.metrics["resumed_from"] == [5]
    got = [(h["step"], h["train_loss"], h["lr"]) for h in resumed.metrics["history"]]
    want = [(h["step"], h["train_loss"], h["lr"]) for h in reference.metrics["history"]]
    assert [g[0] for g in got] == [w[0] for w in want]
    for g, w in zip(got, want, strict=True):
        assert g[1] == pytest.approx(w[1], rel=1e-5) and g[2] == pytest.approx(w[2])
    assert resumed.summary["perplexity"]["domain"] == pytest.approx(reference.summary["perplexity"]["domain"])
    weights = load_file(out / "adapter" / "adapter_model.safetensors")
    for name, tensor in load_file(reference_out / "adapter" / "adapter_model.safetensors").items():
        torch.testing.assert_close(weights[name], tensor, rtol=1e-5, atol=1e-6)


def test_resume_with_other_settings_is_refused(
    tiny_llama_dir: Path, clinic_corpus: Path, tmp_path: Path
) -> None:
    config = FAST.model_copy(update={"base_model": str(tiny_llama_dir), "max_steps": 4})
    with pytest.raises(TrainingInterrupted):
        pretrain(clinic_corpus, tmp_path, config, hooks=_stop_at(3))
    changed = config.model_copy(update={"learning_rate": 5e-3})
    with pytest.raises(SeedforgeError, match="learning_rate"):
        pretrain(clinic_corpus, tmp_path, changed, resume=True)


def test_resuming_a_finished_run_trains_nothing(
    pretrained, tiny_llama_dir: Path, clinic_corpus: Path, general_text: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A schedule that always passes --resume: the second time, the finished run is returned as
    it is (no step trained, nothing rewritten); a changed setting is not taken for it."""
    reference, out = pretrained
    config = FAST.model_copy(update={"base_model": str(tiny_llama_dir)})
    written = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}

    def no_training(*args, **kwargs):
        raise AssertionError("a finished run was trained again")

    monkeypatch.setattr(loop, "summed_token_loss", no_training)
    again = pretrain(clinic_corpus, out, config, general=general_text, resume=True)
    assert again.summary == reference.summary and again.metrics["history"] == reference.metrics["history"]
    assert again.adapter_dir == reference.adapter_dir and again.merged_dir == reference.merged_dir
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == written
    monkeypatch.undo()
    changed = config.model_copy(update={"learning_rate": 5e-3})
    with pytest.raises(SeedforgeError, match=r"different run \(learning_rate"):  # its checkpoints say
        pretrain(clinic_corpus, out, changed, general=general_text, resume=True)
