"""The token blocks a pretraining run reads: the corpus's own when the model's tokenizer is the
one the corpus was packed with, otherwise (an extended vocabulary) the corpus's documents packed
again with the model's tokenizer into OUT/blocks, once. Blocks stay memory-mapped; each becomes
an Example (labels = input ids) only when the loop asks for it."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, overload

import numpy as np

from pipeline.corpus.pack import BlockPacker, block_dtype, pack_texts, tokenizer_fingerprint
from pipeline.corpus.store import SPLITS, CorpusManifest, Split, iter_texts, load_blocks
from pipeline.errors import SeedforgeError
from pipeline.io import publish_dir, staging_dir, write_json_atomic
from pipeline.train.data import Example

REPACKED = "blocks"
REPACKED_META = "blocks.json"


class BlockExamples(Sequence[Example]):
    """Rows of a (blocks, block_size) array as Examples that learn every token."""

    def __init__(self, blocks: np.ndarray[Any, Any]):
        self.blocks = blocks

    def __len__(self) -> int:
        return int(self.blocks.shape[0])

    @overload
    def __getitem__(self, index: int) -> Example: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Example]: ...
    def __getitem__(self, index: int | slice) -> Example | Sequence[Example]:
        if isinstance(index, slice):
            return BlockExamples(self.blocks[index])
        ids = [int(t) for t in self.blocks[index]]
        return Example(ids, list(ids), False)

    def __iter__(self) -> Iterator[Example]:
        return (self[i] for i in range(len(self)))

    @property
    def tokens(self) -> int:
        return int(self.blocks.size)


@dataclass
class CorpusBlocks:
    train: np.ndarray[Any, Any]
    heldout: np.ndarray[Any, Any]
    block_size: int
    source: str  # "corpus" (the corpus's own .bin files) or "repacked" (OUT/blocks)


def _repacked(out_dir: Path, fingerprint: str, manifest: CorpusManifest) -> dict[str, Any] | None:
    meta_file = out_dir / REPACKED / REPACKED_META
    if not meta_file.is_file():
        return None
    meta: dict[str, Any] = json.loads(meta_file.read_text(encoding="utf-8"))
    same = meta.get("fingerprint") == fingerprint and meta.get("corpus") == _corpus_id(manifest)
    return meta if same else None


def _corpus_id(manifest: CorpusManifest) -> str:
    return f"{manifest.name}@v{manifest.version}:{manifest.created_at}"


def _repack(corpus_dir: Path, manifest: CorpusManifest, tokenizer: Any, out_dir: Path) -> dict[str, Any]:
    target = out_dir / REPACKED
    dtype = block_dtype(len(tokenizer))
    meta: dict[str, Any] = {
        "corpus": _corpus_id(manifest),
        "fingerprint": tokenizer_fingerprint(tokenizer),
        "block_size": manifest.block_size,
        "dtype": dtype.name,
        "splits": {},
    }
    with staging_dir(target) as staging:
        for split in SPLITS:
            with BlockPacker(tokenizer, manifest.block_size, staging / f"{split}.bin", dtype) as packer:
                packer.add_all(iter_texts(corpus_dir, split))
            stats = packer.close()
            meta["splits"][split] = {"blocks": stats.blocks, "tokens": stats.tokens}
        write_json_atomic(staging / REPACKED_META, meta)
        publish_dir(staging, target)
    return meta


def _read(out_dir: Path, meta: dict[str, Any], split: Split) -> np.ndarray[Any, Any]:
    blocks, size = meta["splits"][split]["blocks"], meta["block_size"]
    if blocks == 0:
        return np.zeros((0, size), dtype=meta["dtype"])
    path = out_dir / REPACKED / f"{split}.bin"
    return np.memmap(path, dtype=meta["dtype"], mode="r", shape=(blocks, size))


def corpus_blocks(corpus_dir: Path, manifest: CorpusManifest, tokenizer: Any, out_dir: Path) -> CorpusBlocks:
    fingerprint = tokenizer_fingerprint(tokenizer)
    if fingerprint == manifest.tokenizer.fingerprint:
        train, heldout = load_blocks(corpus_dir, "train"), load_blocks(corpus_dir, "heldout")
        return CorpusBlocks(train, heldout, manifest.block_size, "corpus")
    meta = _repacked(out_dir, fingerprint, manifest) or _repack(corpus_dir, manifest, tokenizer, out_dir)
    train, heldout = _read(out_dir, meta, "train"), _read(out_dir, meta, "heldout")
    return CorpusBlocks(train, heldout, manifest.block_size, "repacked")


def spread(blocks: np.ndarray[Any, Any], limit: int | None) -> np.ndarray[Any, Any]:
    """At most `limit` blocks, evenly spaced through the array (so through many documents)."""
    if limit is None or len(blocks) <= limit:
        return blocks
    picks = np.linspace(0, len(blocks) - 1, num=limit).round().astype(np.int64)
    return np.asarray(blocks[picks])


def text_blocks(path: Path, tokenizer: Any, block_size: int) -> np.ndarray[Any, Any]:
    """A plain text file as blocks (paragraphs separated by blank lines are its documents)."""
    if not path.is_file():
        raise SeedforgeError("general text file not found", path=path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SeedforgeError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", path=path) from None
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    return pack_texts(paragraphs, tokenizer, block_size)
