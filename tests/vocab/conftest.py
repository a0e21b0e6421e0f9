"""A corpus version in the on-disk layout `seedforge corpus build` writes (only what vocabulary
extension reads: manifest.json and the split documents), and one extension of the tiny model
shared by the tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.vocab.chinese_text import chinese_documents

ENGLISH = [
    "The committee reviewed the budget and approved the new training programme for nurses.",
    "Version 2.3 fixes a crash when the configuration file is empty; see the changelog.",
]


def write_corpus(
    version_dir: Path, base_model: str, train: list[str], heldout: list[str], name: str = "zh-test"
) -> Path:
    from transformers import AutoTokenizer

    from pipeline.corpus.pack import tokenizer_fingerprint

    tokenizer = AutoTokenizer.from_pretrained(base_model)
    version_dir.mkdir(parents=True)
    for split, texts in (("train", train), ("heldout", heldout)):
        rows = [
            {"id": f"{split}{i}", "source": "t.txt", "language": "zh", "text": t} for i, t in enumerate(texts)
        ]
        (version_dir / f"{split}.jsonl").write_text(
            "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8"
        )
    manifest = {
        "name": name,
        "version": int(version_dir.name[1:]),
        "created_at": "2026-12-01T00:00:00Z",
        "tokenizer": {
            "base_model": base_model,
            "fingerprint": tokenizer_fingerprint(tokenizer),
            "vocab_size": len(tokenizer),
        },
        "block_size": 64,
        "dtype": "uint16",
        "splits": {
            split: {"documents": len(texts), "characters": sum(map(len, texts))}
            for split, texts in (("train", train), ("heldout", heldout))
        },
    }
    (version_dir / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return version_dir


@pytest.fixture(scope="session")
def zh_corpus(tiny_llama_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    documents = chinese_documents(140, seed=1)
    root = tmp_path_factory.mktemp("corpora") / "zh-test" / "v1"
    return write_corpus(root, str(tiny_llama_dir), documents[:120] + ENGLISH, documents[120:] + ENGLISH)


@pytest.fixture(scope="session")
def extended(zh_corpus: Path, tmp_path_factory: pytest.TempPathFactory):
    from pipeline.vocab.extend import extend_vocab

    out = tmp_path_factory.mktemp("vocab") / "out"
    return extend_vocab(zh_corpus, 300, out), out
