"""Pretraining on an extended vocabulary (embeddings and tied head trained and saved with the
adapter, blocks re-packed with the new tokenizer), a vocabulary made for another base refused,
and the chain pretrain -> LoRA tuning -> merge -> reload with consistent vocabulary sizes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from safetensors import safe_open

from pipeline.errors import SeedforgeError
from pipeline.pretrain.run import pretrain
from tests.pretrain.conftest import FAST, write_corpus
from tests.vocab.chinese_text import chinese_documents


@pytest.fixture(scope="module")
def zh_corpus(tiny_llama_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    documents = chinese_documents(90, seed=4)
    root = tmp_path_factory.mktemp("corpora") / "zh" / "v1"
    return write_corpus(root, str(tiny_llama_dir), documents[:80], documents[80:], name="zh")


@pytest.fixture(scope="module")
def vocab_dir(zh_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from pipeline.vocab.extend import extend_vocab

    out = tmp_path_factory.mktemp("vocab") / "extended"
    extend_vocab(zh_corpus, 60, out)
    return out


@pytest.fixture(scope="module")
def zh_pretrained(zh_corpus: Path, vocab_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("zh-pretrain") / "out"
    config = FAST.model_copy(update={"max_steps": 6})
    return pretrain(zh_corpus, out, config, vocab=vocab_dir), out


def test_extended_vocabulary_trains_and_saves_embeddings(zh_pretrained, vocab_dir: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    result, out = zh_pretrained
    summary = result.summary
    assert summary["vocab"] == str(vocab_dir.resolve()) and summary["base_model"] == str(vocab_dir.resolve())
    assert summary["train_embeddings"] is True
    assert summary["blocks"]["source"] == "repacked"  # the corpus's blocks use the old ids
    assert (out / "blocks" / "train.bin").is_file()
    info = json.loads((vocab_dir / "vocab.json").read_text(encoding="utf-8"))
    with safe_open(str(out / "adapter" / "adapter_model.safetensors"), "pt") as weights:
        embeddings = [k for k in weights.keys() if "embed_tokens" in k]
        assert embeddings and weights.get_tensor(embeddings[0]).shape[0] == info["embedding_rows"]
    merged = AutoModelForCausalLM.from_pretrained(out / "merged", dtype=torch.float32)
    extended = AutoModelForCausalLM.from_pretrained(vocab_dir, dtype=torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(out / "merged")
    assert len(tokenizer) == info["new_vocab_size"]
    new_rows = slice(info["old_vocab_size"], info["new_vocab_size"])
    trained = merged.get_input_embeddings().weight[new_rows]
    assert not torch.allclose(trained, extended.get_input_embeddings().weight[new_rows])
    # the head is still the embedding matrix: tied through training, saving and merging
    assert merged.get_output_embeddings().weight.data_ptr() == merged.get_input_embeddings().weight.data_ptr()


def test_vocab_for_another_base_is_refused(zh_corpus: Path, vocab_dir: Path, tmp_path: Path) -> None:
    other = tmp_path / "other-vocab"
    shutil.copytree(vocab_dir, other)
    info = json.loads((other / "vocab.json").read_text(encoding="utf-8"))
    info["base_fingerprint"] = "0123456789abcdef"
    (other / "vocab.json").write_text(json.dumps(info), encoding="utf-8")
    with pytest.raises(SeedforgeError) as refused:
        pretrain(zh_corpus, tmp_path / "out", FAST, vocab=other)
    message = str(refused.value)
    assert str(other) in message and "0123456789abcdef" in message
    assert json.loads((zh_corpus / "manifest.json").read_text())["tokenizer"]["fingerprint"] in message
    assert not (tmp_path / "out" / "adapter").exists()


def test_vocab_dir_without_vocab_json_is_refused(
    zh_corpus: Path, tiny_llama_dir: Path, tmp_path: Path
) -> None:
    with pytest.raises(SeedforgeError, match="vocab.json"):
        pretrain(zh_corpus, tmp_path / "out", FAST, vocab=tiny_llama_dir)


def test_pretrain_then_tune_then_merge_keeps_vocabulary_sizes(zh_pretrained, tmp_path: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from pipeline.train.base_model import prepare_base_model
    from pipeline.train.export import merge_adapter
    from pipeline.train.lora import train_lora
    from tests.train.conftest import FAST as TUNE
    from tests.train.conftest import RECORDS

    _, out = zh_pretrained
    base = prepare_base_model(str(out))
    tuned = train_lora(RECORDS, [], TUNE.model_copy(update={"epochs": 2}), base, tmp_path / "tuned")
    merged = merge_adapter(tuned.adapter_dir, tmp_path / "merged")
    model = AutoModelForCausalLM.from_pretrained(merged, dtype=torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(merged)
    pretrained_tokenizer = AutoTokenizer.from_pretrained(base)
    assert len(tokenizer) == len(pretrained_tokenizer)
    assert model.get_input_embeddings().weight.shape[0] >= len(tokenizer)
    assert model.config.vocab_size == AutoModelForCausalLM.from_pretrained(base).config.vocab_size
    ids = tokenizer("医生认真地研究高血压。", return_tensors="pt")["input_ids"]
    assert int(ids.max()) >= 49152  # a new token reaches the model
    with torch.no_grad():
        assert torch.isfinite(model(input_ids=ids).logits).all()
