from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pipeline.corpus.store import (
    corpora_root,
    iter_texts,
    load_blocks,
    load_manifest,
    next_version,
    resolve_corpus,
)
from pipeline.errors import SeedforgeError


def _write_version(name: str, version: int, blocks: np.ndarray, texts: list[str]) -> Path:
    path = corpora_root() / name / f"v{version}"
    path.mkdir(parents=True)
    manifest = {
        "name": name,
        "version": version,
        "created_at": "2026-01-01T00:00:00+00:00",
        "sources": [{"path": "a.txt", "sha256": "0" * 64, "bytes": 10}],
        "config": {},
        "tokenizer": {"base_model": "x", "fingerprint": "f" * 16, "vocab_size": 100},
        "block_size": blocks.shape[1],
        "dtype": "uint16",
        "splits": {
            "train": {"documents": len(texts), "tokens": blocks.size, "blocks": len(blocks), "characters": 5}
        },
        "languages": {"en": len(texts)},
        "counts": {"read": len(texts)},
        "a_later_field": True,
    }
    (path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    blocks.astype(np.uint16).tofile(path / "train.bin")
    (path / "heldout.bin").write_bytes(b"")
    rows = [
        json.dumps({"id": str(n), "source": "a.txt", "language": "en", "text": t})
        for n, t in enumerate(texts)
    ]
    (path / "train.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_resolve_by_name_version_and_folder(data_dir: Path) -> None:
    first = _write_version("law", 1, np.arange(8).reshape(2, 4), ["a"])
    second = _write_version("law", 2, np.arange(12).reshape(3, 4), ["b", "c"])
    (corpora_root() / "law" / ".staging-v3-abc").mkdir()
    assert resolve_corpus("law") == second
    assert resolve_corpus("law@v1") == first and resolve_corpus("law@1") == first
    assert resolve_corpus(first) == first
    assert next_version("law") == 3
    manifest = load_manifest(second)
    assert manifest.splits["train"].blocks == 3 and manifest.tokenizer.vocab_size == 100


def test_resolve_errors_name_what_is_missing(data_dir: Path) -> None:
    with pytest.raises(SeedforgeError, match=r"no corpus named 'law' under .*corpora"):
        resolve_corpus("law")
    _write_version("law", 1, np.arange(8).reshape(2, 4), ["a"])
    with pytest.raises(SeedforgeError, match="corpus 'law' has no version v7 .*v1"):
        resolve_corpus("law@v7")
    with pytest.raises(SeedforgeError, match="expected NAME@vN"):
        resolve_corpus("law@latest")
    with pytest.raises(SeedforgeError, match="no manifest.json"):
        resolve_corpus(str(data_dir / "nowhere"))


def test_blocks_are_memory_mapped_with_the_manifests_shape(data_dir: Path) -> None:
    path = _write_version("law", 1, np.arange(12).reshape(3, 4), ["one", "two"])
    blocks = load_blocks(path, "train")
    assert isinstance(blocks, np.memmap) and blocks.shape == (3, 4) and blocks.dtype == np.uint16
    assert blocks[2].tolist() == [8, 9, 10, 11]
    assert load_blocks(path, "heldout").shape == (0, 4)
    assert list(iter_texts(path, "train")) == ["one", "two"]
    with pytest.raises(SeedforgeError, match="unknown corpus split"):
        load_blocks(path, "test")  # type: ignore[arg-type]


def test_truncated_block_file_is_refused(data_dir: Path) -> None:
    path = _write_version("law", 1, np.arange(8).reshape(2, 4), ["a"])
    with (path / "train.bin").open("ab") as handle:
        handle.write(b"\x00\x00")
    with pytest.raises(SeedforgeError, match="not a whole number"):
        load_blocks(path, "train")


def test_a_dataset_version_or_a_damaged_manifest_is_named_in_one_line(tmp_path: Path) -> None:
    """A dataset version passed where a corpus is read printed 20 lines of pydantic errors."""
    from pipeline.corpus.store import load_manifest
    from pipeline.dataset.versions import load_version

    dataset = tmp_path / "v0001"
    dataset.mkdir()
    (dataset / "manifest.json").write_text(json.dumps({"dataset": "demo", "version": 1, "files": {}}))
    with pytest.raises(SeedforgeError, match="a dataset version, not a corpus version") as caught:
        load_manifest(dataset)
    assert "\n" not in str(caught.value)
    corpus = tmp_path / "c0001"
    corpus.mkdir()
    (corpus / "manifest.json").write_text(json.dumps({"name": "medical", "version": 1, "splits": {}}))
    with pytest.raises(SeedforgeError, match="a corpus version .*, not a dataset version"):
        load_version(corpus)
    with pytest.raises(
        SeedforgeError, match=r"unreadable corpus manifest: created_at: Field required \(\d+ problem"
    ):
        load_manifest(corpus)
