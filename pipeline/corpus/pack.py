"""Token blocks for causal-LM pretraining: each document's tokens followed by EOS, concatenated and
cut into full blocks of `block_size` tokens, stored as a flat array of token ids (uint16 when the
vocabulary fits, else uint32). The tail shorter than a block is dropped and counted.

`BlockPacker` writes blocks to its file as they fill, so memory stays at one block plus one batch
of documents whatever the corpus size. Documents are tokenised in batches through the fast
tokenizer's Rust backend (parallel, far quicker than one call per document)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from pipeline.errors import SeedforgeError

_FLUSH_BLOCKS = 64  # blocks gathered before one write: fewer, larger writes
BATCH_DOCUMENTS = 256  # documents per tokenizer call in `add_all`


def block_dtype(vocab_size: int) -> np.dtype[Any]:
    """The smallest unsigned dtype that holds every token id of a vocabulary this size."""
    return np.dtype(np.uint16) if vocab_size <= 65535 else np.dtype(np.uint32)


def tokenizer_fingerprint(tokenizer: Any) -> str:
    """16 hex digits identifying a vocabulary: sha256 over its sorted (token, id) pairs and the EOS
    token, so a corpus packed with one tokenizer is never read with another."""
    digest = hashlib.sha256()
    for token, token_id in sorted(tokenizer.get_vocab().items(), key=lambda item: item[1]):
        digest.update(f"{token}\t{token_id}\n".encode())
    digest.update(f"eos\t{tokenizer.eos_token}\t{tokenizer.eos_token_id}".encode())
    return digest.hexdigest()[:16]


def _eos_id(tokenizer: Any) -> int:
    eos = tokenizer.eos_token_id
    if eos is None:
        raise SeedforgeError("the base model's tokenizer has no EOS token: documents could not be separated")
    return int(eos)


def encode_texts(tokenizer: Any, texts: Sequence[str]) -> list[list[int]]:
    """Token ids of each text, without special tokens (no BOS; EOS is the packer's)."""
    if not texts:
        return []
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None:
        return [encoding.ids for encoding in backend.encode_batch(list(texts), add_special_tokens=False)]
    ids: list[list[int]] = tokenizer(list(texts), add_special_tokens=False)["input_ids"]
    return ids


@dataclass(frozen=True, slots=True)
class PackStats:
    blocks: int  # full blocks written
    tokens: int  # every token of the documents, EOS included (written or dropped in the tail)
    dropped_tail: int  # tokens of the last, partial block, not written


class BlockPacker:
    """Appends documents' tokens (plus EOS) to `out` in full blocks; `close` drops the tail."""

    def __init__(self, tokenizer: Any, block_size: int, out: Path, dtype: Any = None):
        if block_size < 2:
            raise SeedforgeError(f"block_size must be at least 2 tokens, not {block_size}")
        self.tokenizer, self.block_size, self.out = tokenizer, block_size, Path(out)
        self.dtype = np.dtype(dtype) if dtype is not None else block_dtype(len(tokenizer))
        self.eos = _eos_id(tokenizer)
        self._limit = int(np.iinfo(self.dtype).max)
        self._buffer: list[int] = []
        self._tokens = 0
        self._blocks = 0
        self._handle: IO[bytes] | None = self.out.open("wb")

    def add(self, text: str) -> int:
        """Add one document; its token count, EOS included."""
        return self.add_encoded(encode_texts(self.tokenizer, [text])[0])

    def add_batch(self, texts: Sequence[str]) -> list[int]:
        """Add documents in order, tokenised in one call; each one's token count, EOS included."""
        return [self.add_encoded(ids) for ids in encode_texts(self.tokenizer, texts)]

    def add_all(self, texts: Iterable[str]) -> int:
        """Add every document of a stream (in batches); the tokens added."""
        total, batch = 0, []
        for text in texts:
            batch.append(text)
            if len(batch) >= BATCH_DOCUMENTS:
                total += sum(self.add_batch(batch))
                batch = []
        return total + sum(self.add_batch(batch))

    def add_encoded(self, ids: Sequence[int]) -> int:
        if self._handle is None:
            raise RuntimeError("BlockPacker is closed")
        if ids and max(ids) > self._limit:
            raise SeedforgeError(f"token id {max(ids)} does not fit {self.dtype.name} block storage")
        self._buffer.extend(ids)
        self._buffer.append(self.eos)
        self._tokens += len(ids) + 1
        if len(self._buffer) >= self.block_size * _FLUSH_BLOCKS:
            self._flush()
        return len(ids) + 1

    def _flush(self) -> None:
        full = len(self._buffer) // self.block_size * self.block_size
        if full and self._handle is not None:
            self._handle.write(np.asarray(self._buffer[:full], dtype=self.dtype).tobytes())
            self._blocks += full // self.block_size
            del self._buffer[:full]

    def close(self) -> PackStats:
        """Write the remaining full blocks, drop the tail, close the file; the totals."""
        if self._handle is not None:
            self._flush()
            self._handle.close()
            self._handle = None
        return PackStats(blocks=self._blocks, tokens=self._tokens, dropped_tail=len(self._buffer))

    def __enter__(self) -> BlockPacker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def pack_texts(texts: Iterable[str], tokenizer: Any, block_size: int) -> np.ndarray[Any, Any]:
    """The blocks of `texts` in memory, shape (blocks, block_size): for small inputs and tests."""
    eos = _eos_id(tokenizer)
    flat: list[int] = []
    batch: list[str] = []
    for text in [*texts, None]:
        if text is not None:
            batch.append(text)
        if batch and (text is None or len(batch) >= BATCH_DOCUMENTS):
            for ids in encode_texts(tokenizer, batch):
                flat.extend(ids)
                flat.append(eos)
            batch = []
    blocks = len(flat) // block_size
    array = np.asarray(flat[: blocks * block_size], dtype=block_dtype(len(tokenizer)))
    return array.reshape(blocks, block_size)
