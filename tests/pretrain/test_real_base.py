"""One short pretraining run of the embedded SmolLM2 (134.5M parameters, tied embeddings) on a
narrow domain language: held-out domain perplexity falls within six steps, the general-text
perplexity is measured, and the output chains into `seedforge train` as a base."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.pretrain.config import PretrainConfig
from pipeline.pretrain.run import default_general_text, pretrain
from pipeline.train.base_model import prepare_base_model
from tests.pretrain.conftest import domain_documents, write_corpus

pytestmark = pytest.mark.slow


def test_smollm2_domain_perplexity_falls(data_dir: Path, tmp_path: Path, embedded_hf_model: Path) -> None:
    base = str(embedded_hf_model)
    corpus = write_corpus(
        tmp_path / "corpora" / "clinic" / "v1",
        base,
        domain_documents(40, seed=1),
        domain_documents(8, seed=2),
        block_size=64,
    )
    config = PretrainConfig(
        max_steps=6,
        batch_size=2,
        micro_batch_size=2,
        learning_rate=1e-3,
        warmup_steps=0,
        lora_dropout=0.0,
        eval_blocks=3,
        eval_steps=100,
        save_steps=100,
    )
    result = pretrain(corpus, tmp_path / "out", config)
    domain = result.summary["perplexity"]["domain"]
    assert domain["after"] < 0.8 * domain["before"], domain
    assert result.metrics["steps"] == 6 and result.metrics["tokens_per_second"] > 0
    if default_general_text().is_file():
        general = result.summary["perplexity"]["general"]
        assert 1 < general["before"] < 1e4 and 1 < general["after"] < 1e4
    merged = json.loads((tmp_path / "out" / "merged" / "config.json").read_text(encoding="utf-8"))
    assert merged["vocab_size"] == 49152 and merged["tie_word_embeddings"] is True
    assert prepare_base_model(str(tmp_path / "out")) == str((tmp_path / "out" / "merged").resolve())
