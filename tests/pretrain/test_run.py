"""A short pretraining run of the tiny model: what it writes, perplexity, determinism."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from pipeline.corpus.store import load_blocks
from pipeline.errors import SeedforgeError
from pipeline.pretrain.run import pretrain
from tests.pretrain.conftest import FAST


def test_outputs_and_summary(pretrained) -> None:
    result, out = pretrained
    summary = json.loads((out / "pretrain.json").read_text(encoding="utf-8"))
    assert summary == result.summary
    for name in ("metrics.json", "loss.png", "run_card.md", "run_card.json"):
        assert (out / name).is_file(), name
    assert (out / "adapter" / "adapter_model.safetensors").is_file()
    assert (out / "merged" / "config.json").is_file() and (out / "merged" / "tokenizer.json").is_file()
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["steps"] == metrics["total_steps"] == len(metrics["history"])
    assert summary["blocks"]["source"] == "corpus"  # same tokenizer: the corpus's own blocks
    assert summary["tokens_per_second"] > 0
    assert summary["train_embeddings"] is False and summary["vocab"] is None
    assert "Perplexity" in (out / "run_card.md").read_text(encoding="utf-8")
    assert summary["placement"] == metrics["placement"] and summary["placement"]["device"] == "cpu"
    assert "| device, precision | cpu, " in (out / "run_card.md").read_text(encoding="utf-8")


def test_domain_perplexity_falls_and_general_is_measured(pretrained, clinic_corpus: Path) -> None:
    result, _ = pretrained
    domain, general = result.summary["perplexity"]["domain"], result.summary["perplexity"]["general"]
    assert domain["after"] < 0.5 * domain["before"]
    assert domain["blocks"] == min(FAST.eval_blocks, len(load_blocks(clinic_corpus, "heldout")))
    assert general["before"] > 1 and general["after"] > 1 and general["blocks"] >= 1
    assert general["source"].endswith("general.txt")


def test_same_seed_same_loss_history(pretrained, tiny_llama_dir: Path, clinic_corpus: Path, tmp_path) -> None:
    result, _ = pretrained
    config = FAST.model_copy(update={"base_model": str(tiny_llama_dir)})
    again = pretrain(clinic_corpus, tmp_path / "again", config, general=None)
    first = [(h["step"], h["train_loss"]) for h in result.metrics["history"]]
    second = [(h["step"], h["train_loss"]) for h in again.metrics["history"]]
    assert [s for s, _ in first] == [s for s, _ in second]
    for (_, a), (_, b) in zip(first, second, strict=True):
        assert a == pytest.approx(b, rel=1e-6)
    other = pretrain(clinic_corpus, tmp_path / "other", config.model_copy(update={"seed": 7}), general=None)
    assert [h["train_loss"] for h in other.metrics["history"]] != [b for _, b in second]


def test_merged_model_equals_base_plus_adapter(pretrained, tiny_llama_dir: Path) -> None:
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    result, out = pretrained
    ids = torch.tensor([[1, 200, 3000, 45, 9, 77, 2]])
    base = AutoModelForCausalLM.from_pretrained(tiny_llama_dir, dtype=torch.float32)
    adapted = PeftModel.from_pretrained(base, str(out / "adapter")).eval()
    merged = AutoModelForCausalLM.from_pretrained(out / "merged", dtype=torch.float32).eval()
    with torch.no_grad():
        torch.testing.assert_close(
            merged(input_ids=ids).logits, adapted(input_ids=ids).logits, rtol=1e-4, atol=1e-4
        )


def test_used_out_dir_is_refused_without_resume(pretrained, clinic_corpus: Path) -> None:
    _, out = pretrained
    with pytest.raises(SeedforgeError, match="--resume"):
        pretrain(clinic_corpus, out, FAST)
