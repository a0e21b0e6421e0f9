"""Bad input: an unknown corpus, a corpus without held-out or training blocks, a general text
too short for a block, a pretraining output without its merged model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.errors import SeedforgeError
from pipeline.pretrain.run import pretrain
from pipeline.train.base_model import prepare_base_model
from tests.pretrain.conftest import FAST, domain_documents, write_corpus


def test_unknown_corpus_is_named(data_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(SeedforgeError, match="no corpus named 'nowhere'"):
        pretrain("nowhere", tmp_path / "out", FAST)
    with pytest.raises(SeedforgeError, match="manifest.json"):
        pretrain(str(tmp_path / "not-a-corpus"), tmp_path / "out", FAST)
    assert not (tmp_path / "out").exists()


def test_no_heldout_blocks_skips_domain_perplexity(tiny_llama_dir: Path, tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "c" / "v1", str(tiny_llama_dir), domain_documents(8, seed=3), [])
    short = tmp_path / "short.txt"
    short.write_text("Too short.", encoding="utf-8")
    config = FAST.model_copy(update={"base_model": str(tiny_llama_dir), "max_steps": 2})
    result = pretrain(corpus, tmp_path / "out", config, general=short)
    perplexity = result.summary["perplexity"]
    assert "no held-out block" in perplexity["domain"]["skipped"]
    assert "shorter than one 32-token block" in perplexity["general"]["skipped"]
    assert result.metrics["steps"] == 2 and result.metrics["validation_loss"] is None
    assert len(result.notes) == 2


def test_corpus_without_training_blocks_is_refused(tiny_llama_dir: Path, tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "c" / "v1", str(tiny_llama_dir), ["Tiny."], ["Also tiny."])
    config = FAST.model_copy(update={"base_model": str(tiny_llama_dir)})
    with pytest.raises(SeedforgeError, match="no full 32-token training block"):
        pretrain(corpus, tmp_path / "out", config)
    assert not (tmp_path / "out" / "adapter").exists()


def test_missing_general_file_is_an_error(tiny_llama_dir: Path, clinic_corpus: Path, tmp_path: Path) -> None:
    config = FAST.model_copy(update={"base_model": str(tiny_llama_dir)})
    with pytest.raises(SeedforgeError, match="general text file not found"):
        pretrain(clinic_corpus, tmp_path / "out", config, general=tmp_path / "absent.txt")


def test_pretrain_output_is_a_base_model(pretrained, tmp_path: Path) -> None:
    _, out = pretrained
    assert prepare_base_model(str(out)) == str((out / "merged").resolve())
    unfinished = tmp_path / "unfinished"
    unfinished.mkdir()
    (unfinished / "pretrain.json").write_text(json.dumps({}), encoding="utf-8")
    with pytest.raises(SeedforgeError, match="no merged model"):
        prepare_base_model(str(unfinished))
