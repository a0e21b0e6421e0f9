"""`seedforge vocab extend`: learn Chinese tokens from a corpus version, add them to the base
tokenizer without changing any existing id, grow the model's embedding (and untied output)
matrices with mean-of-pieces rows, and write a complete HF model directory with vocab.json and
report.md. The directory is written aside and renamed into place: nothing half-written."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from pipeline.corpus.pack import tokenizer_fingerprint
from pipeline.corpus.store import iter_texts, load_manifest, resolve_corpus
from pipeline.errors import SeedforgeError
from pipeline.io import publish_dir, staging_dir, write_atomic, write_json_atomic
from pipeline.records import utc_now
from pipeline.train.base_model import configure_torch, load_causal_lm, load_tokenizer, prepare_base_model
from pipeline.vocab.embeddings import resize_with_mean_init
from pipeline.vocab.info import VOCAB_FILE, CorpusRef, VocabInfo
from pipeline.vocab.learn import learn_merges
from pipeline.vocab.measure import densities
from pipeline.vocab.report import report_markdown
from pipeline.vocab.tokenizer_json import extend_tokenizer_json

log = logging.getLogger(__name__)

METHOD = (
    "byte-level BPE merges learned (tokenizers BpeTrainer) on the base tokenizer's own segmentation "
    "of the corpus's Han-containing pre-tokens, appended after the base merges; new ids after the "
    "base vocabulary; new embedding (and untied output) rows = mean of the old rows of the pieces "
    "the base tokenizer splits each new token into"
)


def _check_out(out: Path, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise SeedforgeError("--out is a file; expected a directory", path=out)
    if out.is_dir() and any(out.iterdir()) and not force:
        raise SeedforgeError("--out already exists and is not empty: pass --force to replace it", path=out)


def _base_for(version_dir: Path, corpus_base: str, corpus_fp: str, base_model: str | None) -> tuple[str, Any]:
    """The base model to extend and its tokenizer; it must be the one the corpus was packed with."""
    spec = prepare_base_model(base_model if base_model is not None else corpus_base)
    tokenizer = load_tokenizer(spec)
    found = tokenizer_fingerprint(tokenizer)
    if found != corpus_fp:
        setting = f"--base-model {base_model}" if base_model is not None else "its manifest's base model"
        raise SeedforgeError(
            f"{setting}: tokenizer {found} is not the corpus's ({corpus_base!r}, tokenizer "
            f"{corpus_fp}); extend the base the corpus was built with, or rebuild the corpus",
            path=version_dir,
        )
    if getattr(tokenizer, "backend_tokenizer", None) is None:
        raise SeedforgeError(f"base model {spec!r} has no fast (tokenizers) tokenizer to extend")
    return spec, tokenizer


def extend_vocab(
    corpus: str | Path,
    add: int,
    out: Path,
    *,
    base_model: str | None = None,
    min_frequency: int = 2,
    force: bool = False,
) -> VocabInfo:
    """Extend the base model's vocabulary by `add` tokens learned from the corpus's Chinese text."""
    from transformers import AutoTokenizer

    started = time.monotonic()
    out = Path(out)
    if add < 1:
        raise SeedforgeError(f"--add {add}: expected at least 1 new token")
    if min_frequency < 1:
        raise SeedforgeError(f"--min-frequency {min_frequency}: expected at least 1")
    _check_out(out, force)
    version_dir = resolve_corpus(corpus)
    manifest = load_manifest(version_dir)
    spec, tokenizer = _base_for(
        version_dir, manifest.tokenizer.base_model, manifest.tokenizer.fingerprint, base_model
    )
    backend = tokenizer.backend_tokenizer
    log.info("learning up to %d tokens from %s", add, version_dir)
    learned = learn_merges(iter_texts(version_dir, "train"), backend, add, min_frequency)
    if learned.han_pieces == 0:
        raise SeedforgeError(
            "the corpus's train split holds no Chinese text to learn tokens from", path=version_dir
        )
    if len(learned.new_tokens) < add:
        fewer = f"pass --add {learned.available} or less, " if learned.available else ""
        raise SeedforgeError(
            f"--add {add}: the corpus supports only {learned.available} new tokens seen at least "
            f"--min-frequency {min_frequency} times; {fewer}lower --min-frequency, or give a larger corpus",
            path=version_dir,
        )
    extension = extend_tokenizer_json(backend.to_str(), learned.merges)
    configure_torch()
    with staging_dir(out) as staging:
        tokenizer.save_pretrained(staging)
        write_atomic(staging / "tokenizer.json", extension.tokenizer_json)
        extended = AutoTokenizer.from_pretrained(str(staging))
        _check_ids(tokenizer, extended, extension.added, staging)
        model = load_causal_lm(spec)
        rows = int(model.get_input_embeddings().weight.shape[0])
        new_size = max(rows, max(extension.added.values()) + 1)
        resized = resize_with_mean_init(model, backend, extension.added, new_size)
        model.config.name_or_path = str(out)
        model.save_pretrained(staging)
        measured = densities(iter_texts(version_dir, "heldout"), backend, extended.backend_tokenizer)
        info = VocabInfo(
            base_model=spec,
            base_fingerprint=manifest.tokenizer.fingerprint,
            fingerprint=tokenizer_fingerprint(extended),
            added=len(extension.added),
            merges_added=extension.merges_added,
            old_vocab_size=len(tokenizer),
            new_vocab_size=len(extended),
            embedding_rows=resized["new_rows"],
            tied_embeddings=resized["tied_embeddings"],
            corpus=CorpusRef(name=manifest.name, version=manifest.version),
            min_frequency=min_frequency,
            tokens_per_1000_chars=measured["zh"],
            tokens_per_1000_chars_all=measured["all"],
            method=METHOD,
            seconds=round(time.monotonic() - started, 2),
            created_at=utc_now(),
        )
        write_json_atomic(staging / VOCAB_FILE, info.model_dump(mode="json"))
        examples = [extended.convert_tokens_to_string([t]) for t in list(extension.added)[:40]]
        write_atomic(staging / "report.md", report_markdown(info, examples))
        publish_dir(staging, out)
    return info


def _check_ids(old: Any, new: Any, added: dict[str, int], where: Path) -> None:
    """Every existing (token, id) pair unchanged and the new tokens where the extension put them:
    the saved tokenizer must agree with what the model's rows will be."""
    old_vocab, new_vocab = old.get_vocab(), new.get_vocab()
    changed = [token for token, token_id in old_vocab.items() if new_vocab.get(token) != token_id]
    misplaced = [token for token, token_id in added.items() if new_vocab.get(token) != token_id]
    if changed or misplaced:
        raise SeedforgeError(
            f"the extended tokenizer moved {len(changed)} existing and {len(misplaced)} new tokens "
            f"(e.g. {(changed or misplaced)[:3]})",
            path=where,
        )
