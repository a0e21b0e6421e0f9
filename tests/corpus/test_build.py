from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from transformers import AutoTokenizer

from pipeline.corpus.build import build_corpus, heldout_share
from pipeline.corpus.config import CorpusConfig
from pipeline.corpus.store import corpora_root, iter_texts, load_blocks, load_manifest, version_dirs
from pipeline.errors import SeedforgeError
from tests.corpus.corpus_docs import EMAIL, SHARED_PARAGRAPH, document, write_docs


def _rows(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _config(tiny_llama_dir: Path, **changes: object) -> CorpusConfig:
    return CorpusConfig.model_validate({"base_model": str(tiny_llama_dir), "block_size": 32, **changes})


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    write_docs(folder, 30)
    (folder / "zz-copy.txt").write_text(document(3, shared=True), encoding="utf-8")
    (folder / "contact.txt").write_text(
        document(500) + f"\nWrite to {EMAIL} for the minutes.\n", encoding="utf-8"
    )
    (folder / "short.txt").write_text("Too short to keep.", encoding="utf-8")
    return folder


def test_build_writes_a_version_whose_blocks_are_the_kept_documents(
    data_dir: Path, tiny_llama_dir: Path, docs: Path
) -> None:
    result = build_corpus([docs], "news", _config(tiny_llama_dir, heldout_fraction=0.2))
    path = result.path
    assert path == corpora_root() / "news" / "v1" and result.version == 1
    manifest = load_manifest(path)
    funnel = manifest.counts
    assert funnel["read"] == 33 and funnel["kept"] == 31 and funnel["dropped"] == 2
    tokenizer = AutoTokenizer.from_pretrained(tiny_llama_dir)
    for split in ("train", "heldout"):
        texts = list(iter_texts(path, split))
        stats = manifest.splits[split]
        assert stats.documents == len(texts) > 0
        expected: list[int] = []
        for text in texts:
            expected += tokenizer(text, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
        blocks = load_blocks(path, split)
        assert stats.tokens == len(expected) and stats.blocks == len(expected) // 32 == len(blocks)
        assert np.asarray(blocks).reshape(-1).tolist() == expected[: stats.blocks * 32]
    assert manifest.tokenizer.vocab_size == len(tokenizer) and manifest.dtype == "uint16"
    assert manifest.languages == {"en": 31}
    assert len(manifest.sources) == 33 and (path / "report.md").read_text().startswith("# Corpus news v1")


def test_duplicates_repeated_paragraphs_and_pii_are_recorded(
    data_dir: Path, tiny_llama_dir: Path, docs: Path
) -> None:
    path = build_corpus([docs], "news", _config(tiny_llama_dir)).path
    dropped = {row["rule"]: row for row in _rows(path / "dropped.jsonl")}
    assert set(dropped) == {"dedup:exact", "quality:word_count"}
    original = next(
        r["id"]
        for r in _rows(path / "train.jsonl") + _rows(path / "heldout.jsonl")
        if r["source"].endswith("doc0003.txt")
    )
    assert original in dropped["dedup:exact"]["evidence"] and dropped["dedup:exact"]["source"].endswith(
        "zz-copy.txt"
    )
    kept = _rows(path / "train.jsonl") + _rows(path / "heldout.jsonl")
    assert sum(SHARED_PARAGRAPH in row["text"] for row in kept) == 3  # paragraph_min_documents
    removed = _rows(path / "removed.jsonl")
    repeated = [row for row in removed if row["rule"] == "dedup:repeated_paragraph"]
    assert len(repeated) == 27 and repeated[0]["text"] == SHARED_PARAGRAPH
    contact = next(row for row in kept if row["source"].endswith("contact.txt"))
    assert "[EMAIL]" in contact["text"]
    assert [row["rule"] for row in removed if row["source"].endswith("contact.txt")] == ["pii:email"]
    for file in path.iterdir():
        if file.suffix != ".bin":
            assert EMAIL not in file.read_text(encoding="utf-8"), file.name
    report = json.loads((path / "report.json").read_text())
    assert report["removed"]["dedup:repeated_paragraph"]["count"] == 27
    assert report["funnel"]["dedup"] == 31 and report["dropped"]["dedup:exact"]["examples"][0]["text_head"]


def test_split_is_stable_by_document(data_dir: Path, tiny_llama_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    write_docs(folder, 40, shared=False)
    config = _config(tiny_llama_dir, heldout_fraction=0.3)
    first = build_corpus([folder], "stable", config).path
    write_docs(folder, 20, shared=False, start=40)
    second = build_corpus([folder], "stable", config).path
    assert second.name == "v2"
    held = {row["id"] for row in _rows(first / "heldout.jsonl")}
    held_again = {row["id"] for row in _rows(second / "heldout.jsonl")}
    train = {row["id"] for row in _rows(first / "train.jsonl")}
    assert held and held <= held_again and not train & held_again
    assert all(heldout_share(doc_id) < 0.3 for doc_id in held_again)


def test_empty_input_publishes_nothing(data_dir: Path, tiny_llama_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(SeedforgeError, match="no documents found in"):
        build_corpus([tmp_path / "empty"], "void", _config(tiny_llama_dir))
    assert version_dirs("void") == [] and not list((corpora_root() / "void").glob("*"))


def test_all_filtered_out_names_the_top_reasons(data_dir: Path, tiny_llama_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    for n in range(4):
        (folder / f"{n}.txt").write_text(f"tiny note number {n}", encoding="utf-8")
    with pytest.raises(
        SeedforgeError, match=r"all 4 documents were filtered out; top reasons: quality:word_count \(4\)"
    ):
        build_corpus([folder], "void", _config(tiny_llama_dir))
    assert not list((corpora_root() / "void").glob("*"))


def test_language_filter_drops_other_languages(data_dir: Path, tiny_llama_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    write_docs(folder, 12, shared=False)
    path = build_corpus([folder], "zh-only-en", _config(tiny_llama_dir, languages=["en"])).path
    assert load_manifest(path).counts["kept"] == 12
    with pytest.raises(SeedforgeError, match=r"language \(12\)"):
        build_corpus([folder], "zh-only", _config(tiny_llama_dir, languages=["zh"]))
