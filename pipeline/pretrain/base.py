"""Which model a pretraining run starts from: --base-model (default the embedded one), or a
vocabulary-extended model directory (--vocab), which must have been made from the tokenizer the
corpus was packed with (and from --base-model's, when both are given)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.corpus.store import CorpusManifest
from pipeline.errors import SeedforgeError

VOCAB_JSON = "vocab.json"


@dataclass(frozen=True)
class BaseChoice:
    model: str  # what from_pretrained loads
    vocab: Path | None  # the extended-vocabulary directory, when one is used


def vocab_base_fingerprint(vocab_dir: Path) -> str:
    """The tokenizer fingerprint of the model a vocabulary directory was extended from."""
    info = vocab_dir / VOCAB_JSON
    if not (vocab_dir / "config.json").is_file() or not info.is_file():
        raise SeedforgeError(
            "not an extended-vocabulary model directory (needs config.json and vocab.json, as "
            "`seedforge vocab extend` writes)",
            path=vocab_dir,
        )
    try:
        value = json.loads(info.read_text(encoding="utf-8")).get("base_fingerprint")
    except (ValueError, AttributeError) as exc:
        raise SeedforgeError(f"unreadable vocab.json: {exc}", path=info) from None
    if not isinstance(value, str) or not value:
        raise SeedforgeError("vocab.json has no base_fingerprint", path=info)
    return value


def _refuse(vocab_dir: Path, made_from: str, what: str, expected: str) -> SeedforgeError:
    return SeedforgeError(
        f"vocabulary made for another base model: it extends tokenizer {made_from}, but {what} "
        f"uses tokenizer {expected}; extend the vocabulary of that model instead",
        path=vocab_dir,
    )


def choose_base(base_model: str | None, vocab: Path | None, manifest: CorpusManifest) -> BaseChoice:
    from pipeline.corpus.pack import tokenizer_fingerprint
    from pipeline.train.base_model import load_tokenizer, prepare_base_model

    if vocab is None:
        return BaseChoice(prepare_base_model(base_model), None)
    vocab = Path(vocab)
    made_from = vocab_base_fingerprint(vocab)
    corpus_fp = manifest.tokenizer.fingerprint
    if made_from != corpus_fp:
        raise _refuse(vocab, made_from, f"corpus {manifest.name} v{manifest.version}", corpus_fp)
    if base_model:
        base_fp = tokenizer_fingerprint(load_tokenizer(prepare_base_model(base_model)))
        if made_from != base_fp:
            raise _refuse(vocab, made_from, f"--base-model {base_model}", base_fp)
    return BaseChoice(str(vocab.resolve()), vocab.resolve())


def describe(choice: BaseChoice) -> dict[str, Any]:
    return {"base_model": choice.model, "vocab": None if choice.vocab is None else str(choice.vocab)}
