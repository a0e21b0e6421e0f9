"""OUT/vocab.json: what an extended vocabulary was made from and what it did, and the check later
steps (pretraining, training on top) use to refuse a vocabulary made for another base model."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from pipeline.errors import SeedforgeError
from pipeline.settings import StrictModel
from pipeline.vocab.measure import Density

VOCAB_FILE = "vocab.json"


class CorpusRef(StrictModel):
    name: str
    version: int


class VocabInfo(StrictModel):
    base_model: str
    base_fingerprint: str  # pipeline.corpus.pack.tokenizer_fingerprint of the base tokenizer
    fingerprint: str  # the same of the extended tokenizer
    added: int  # new tokens (new ids)
    merges_added: int  # appended merges (a few land on existing tokens)
    old_vocab_size: int
    new_vocab_size: int
    embedding_rows: int
    tied_embeddings: bool
    corpus: CorpusRef
    min_frequency: int
    tokens_per_1000_chars: Density  # held-out Chinese (Han-containing) documents
    tokens_per_1000_chars_all: Density  # every held-out document
    method: str
    seconds: float
    created_at: str


def load_vocab_info(vocab_dir: Path) -> VocabInfo:
    file = Path(vocab_dir) / VOCAB_FILE
    try:
        return VocabInfo.model_validate(json.loads(file.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise SeedforgeError(
            f"not an extended vocabulary (no {VOCAB_FILE}; make one with `seedforge vocab extend`)",
            path=vocab_dir,
        ) from None
    except (ValueError, ValidationError) as exc:
        raise SeedforgeError(f"unreadable {VOCAB_FILE}: {exc}", path=file) from None


def check_vocab_for_base(
    vocab_dir: Path, base_model_fingerprint: str, base_model: str | None = None
) -> VocabInfo:
    """The vocabulary's record, or SeedforgeError when it was made for another base model (its
    base tokenizer's fingerprint differs from `base_model_fingerprint`)."""
    info = load_vocab_info(vocab_dir)
    if info.base_fingerprint != base_model_fingerprint:
        given = f"{base_model!r} " if base_model else ""
        raise SeedforgeError(
            f"this vocabulary was made for base model {info.base_model!r} (tokenizer "
            f"{info.base_fingerprint}); the base model here, {given}(tokenizer "
            f"{base_model_fingerprint}), is another: extend the vocabulary of this base, or use its base",
            path=vocab_dir,
        )
    return info
