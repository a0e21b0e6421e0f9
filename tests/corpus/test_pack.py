from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from transformers import AutoTokenizer

from pipeline.corpus.pack import BlockPacker, block_dtype, pack_texts, tokenizer_fingerprint
from tests.corpus.corpus_docs import prose

TEXTS = [prose(n, 3) for n in range(30)] + ["数据处理和模型训练的关系很大。", "Ünïcode — ok?"]


@pytest.fixture(scope="module")
def tokenizer(smol_tokenizer_dir: Path):  # type: ignore[no-untyped-def]
    return AutoTokenizer.from_pretrained(smol_tokenizer_dir)


def _expected_ids(tokenizer, texts: list[str]) -> list[int]:  # type: ignore[no-untyped-def]
    ids: list[int] = []
    for text in texts:
        ids += tokenizer(text, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
    return ids


def test_blocks_are_the_documents_tokens_each_followed_by_eos(tokenizer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    expected = _expected_ids(tokenizer, TEXTS)
    out = tmp_path / "train.bin"
    with BlockPacker(tokenizer, 32, out) as packer:
        counts = packer.add_batch(TEXTS[:10]) + [packer.add(text) for text in TEXTS[10:]]
    stats = packer.close()
    assert sum(counts) == len(expected) == stats.tokens
    assert stats.blocks == len(expected) // 32 and stats.dropped_tail == len(expected) % 32
    flat = np.fromfile(out, dtype=np.uint16)
    assert flat.tolist() == expected[: stats.blocks * 32]
    joined = "".join(text + tokenizer.eos_token for text in TEXTS)
    assert tokenizer.decode(expected) == joined
    assert joined.startswith(tokenizer.decode(flat.tolist()).rstrip("\ufffd"))


def test_pack_texts_matches_the_file_and_writes_full_blocks_only(tokenizer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "x.bin"
    packer = BlockPacker(tokenizer, 16, out)
    packer.add_all(iter(TEXTS))
    stats = packer.close()
    blocks = pack_texts(TEXTS, tokenizer, 16)
    assert blocks.shape == (stats.blocks, 16) and blocks.dtype == np.uint16
    assert np.array_equal(blocks.reshape(-1), np.fromfile(out, dtype=np.uint16))
    assert out.stat().st_size == stats.blocks * 16 * 2


def test_packer_writes_while_it_streams(tokenizer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "stream.bin"
    packer = BlockPacker(tokenizer, 8, out)
    for n in range(400):
        packer.add(prose(n, 2))
    packer._handle.flush()  # type: ignore[union-attr]
    written = out.stat().st_size
    stats = packer.close()
    assert written > 0 and written >= (stats.blocks - 64) * 8 * 2
    assert len(packer._buffer) < 8


def test_block_dtype_and_fingerprint(tokenizer, smol_tokenizer_dir: Path) -> None:  # type: ignore[no-untyped-def]
    assert block_dtype(49_152) == np.uint16 and block_dtype(65_535) == np.uint16
    assert block_dtype(65_536) == np.uint32
    first = tokenizer_fingerprint(tokenizer)
    assert len(first) == 16 and first == tokenizer_fingerprint(tokenizer)
    extended = AutoTokenizer.from_pretrained(smol_tokenizer_dir)
    extended.add_tokens(["数据处理"])
    assert tokenizer_fingerprint(extended) != first


def test_block_size_below_two_is_refused(tokenizer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from pipeline.errors import SeedforgeError

    with pytest.raises(SeedforgeError, match="block_size"):
        BlockPacker(tokenizer, 1, tmp_path / "x.bin")
