"""Which model a pretraining run starts from: --base-model (default the embedded one), or a
vocabulary-extended model directory (--vocab), which must have been made from the tokenizer the
corpus was packed with (and from --base-model's, when both are given)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.corpus.store import CorpusManifest
from pipeline.errors import SeedforgeError


@dataclass(frozen=True)
class BaseChoice:
    model: str  # what from_pretrained loads
    vocab: Path | None  # the extended-vocabulary directory, when one is used


def choose_base(base_model: str | None, vocab: Path | None, manifest: CorpusManifest) -> BaseChoice:
    from pipeline.corpus.pack import tokenizer_fingerprint
    from pipeline.train.base_model import load_tokenizer, prepare_base_model
    from pipeline.vocab.info import check_vocab_for_base

    if vocab is None:
        return BaseChoice(prepare_base_model(base_model), None)
    vocab = Path(vocab)
    if not (vocab / "config.json").is_file():
        raise SeedforgeError(
            "not an extended-vocabulary model directory (no config.json; make one with "
            "`seedforge vocab extend`)",
            path=vocab,
        )
    corpus_base = f"{manifest.tokenizer.base_model} (corpus {manifest.name} v{manifest.version})"
    check_vocab_for_base(vocab, manifest.tokenizer.fingerprint, corpus_base)
    if base_model:
        base_fp = tokenizer_fingerprint(load_tokenizer(prepare_base_model(base_model)))
        check_vocab_for_base(vocab, base_fp, base_model)
    return BaseChoice(str(vocab.resolve()), vocab.resolve())
