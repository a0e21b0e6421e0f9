"""The embedded SmolLM2 extended on the shipped Chinese medical sample corpus: held-out Chinese
text takes at least 30% fewer tokens, round trips stay exact, and the model directory loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.settings import seeds_dir
from pipeline.text import has_han
from tests.vocab.chinese_text import chinese_documents
from tests.vocab.conftest import write_corpus

pytestmark = pytest.mark.slow


def _medical_documents() -> list[str]:
    """The sample corpus's Chinese text files (the HTML pages and the GB18030 file left out:
    reading those is the corpus build's job); generated prose where the samples are missing."""
    folder = seeds_dir() / "corpora" / "medical_zh"
    texts = []
    for path in sorted(folder.glob("*")) if folder.is_dir() else []:
        if path.suffix in (".txt", ".md"):
            try:
                text = path.read_text(encoding="utf-8-sig")
            except UnicodeDecodeError:
                continue
            if has_han(text):
                texts.append(text)
    return texts if len(texts) >= 20 else chinese_documents(60, seed=3)


def test_embedded_base_on_chinese_medical_text(
    data_dir: Path, tmp_path: Path, embedded_hf_model: Path
) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from pipeline.vocab.extend import extend_vocab

    base = str(embedded_hf_model)
    documents = _medical_documents()
    heldout = documents[3::8]
    train = [text for i, text in enumerate(documents) if i % 8 != 3]
    corpus = write_corpus(tmp_path / "medical" / "v1", base, train, heldout, name="medical")
    info = extend_vocab(corpus, 1000, tmp_path / "out")

    zh = info.tokens_per_1000_chars
    assert zh.before is not None and zh.after is not None and zh.reduction is not None
    assert zh.reduction >= 0.30, zh
    assert info.old_vocab_size == 49_152 and info.new_vocab_size == 50_152 == info.embedding_rows
    assert info.tied_embeddings
    tokenizer = AutoTokenizer.from_pretrained(tmp_path / "out")
    for text in heldout:
        assert tokenizer.decode(tokenizer.encode(text, add_special_tokens=False)) == text
    model = AutoModelForCausalLM.from_pretrained(tmp_path / "out")
    assert model.config.vocab_size == len(tokenizer) == 50_152
