"""The chain's stages reuse what the same inputs already made, and only that."""

from __future__ import annotations

import shutil
from pathlib import Path

from pipeline.corpus.config import CorpusConfig
from pipeline.domain.stages import corpus_stage, pretrain_stage, vocab_stage
from pipeline.settings import seeds_dir
from tests.pretrain.conftest import FAST


def _documents(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    shutil.copytree(seeds_dir() / "corpora" / "medical_zh", folder)
    return folder


def test_a_corpus_is_rebuilt_only_when_its_files_or_settings_change(
    data_dir: Path, tmp_path: Path, tiny_llama_dir: Path
) -> None:
    docs = _documents(tmp_path)
    config = CorpusConfig(base_model=str(tiny_llama_dir), block_size=64, heldout_fraction=0.2)
    first = corpus_stage("med", [str(docs)], config)
    assert first.name == "v1"
    assert corpus_stage("med", [str(docs)], config) == first  # same files, same settings
    changed_settings = config.model_copy(update={"block_size": 32})
    assert corpus_stage("med", [str(docs)], changed_settings).name == "v2"
    assert corpus_stage("med", [str(docs)], config) == first  # v1 still matches these settings
    edited = next(docs.glob("*.txt"))
    edited.write_text(
        edited.read_text(encoding="utf-8") + "\n\n新增一段关于饮食和睡眠的说明。", encoding="utf-8"
    )
    assert corpus_stage("med", [str(docs)], config).name == "v3"


def test_vocabulary_and_pretraining_are_reused_by_a_second_run(
    data_dir: Path, tmp_path: Path, tiny_llama_dir: Path, general_text: Path
) -> None:
    config = CorpusConfig(base_model=str(tiny_llama_dir), block_size=32, heldout_fraction=0.2)
    corpus = corpus_stage("med", [str(_documents(tmp_path))], config)
    assert vocab_stage("med", corpus, 0, 2) is None
    vocab = vocab_stage("med", corpus, 40, 2)
    assert vocab is not None and (vocab / "vocab.json").is_file()
    stamp = (vocab / "vocab.json").stat().st_mtime_ns
    assert vocab_stage("med", corpus, 40, 2) == vocab
    assert (vocab / "vocab.json").stat().st_mtime_ns == stamp

    settings = FAST.model_copy(update={"base_model": str(tiny_llama_dir), "max_steps": 2})
    first = pretrain_stage("med", corpus, vocab, settings, str(general_text))
    assert first["reused"] is False and first["steps"] == 2 and first["train_embeddings"] is True
    second = pretrain_stage("med", corpus, vocab, settings, str(general_text))
    assert second["reused"] is True and second["out_dir"] == first["out_dir"]
    other = pretrain_stage("med", corpus, vocab, settings.model_copy(update={"max_steps": 1}), None)
    assert other["reused"] is False and other["out_dir"] != first["out_dir"]
