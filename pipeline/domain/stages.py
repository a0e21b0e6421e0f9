"""The chain's stages as plain functions, each reusing what an earlier run of the same settings
finished: a corpus version built from the same files with the same settings, a vocabulary made
from that version, a pretraining run that wrote its summary (an interrupted one resumes from its
newest checkpoint). The folders are named by what they were made from, so a changed input never
meets an old output."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from pipeline.corpus.config import CorpusConfig
from pipeline.corpus.store import load_manifest, matching_corpus
from pipeline.settings import data_dir, resolve_path

log = logging.getLogger(__name__)


def domain_dir(name: str) -> Path:
    return data_dir() / "domain" / name


def corpus_stage(name: str, paths: list[str], config: CorpusConfig) -> Path:
    from pipeline.corpus.build import build_corpus

    resolved = [resolve_path(p) for p in paths]
    found = matching_corpus(name, resolved, config)
    if found is not None:
        log.info("corpus %s: reusing %s (same files, same settings)", name, found)
        return found
    return build_corpus(resolved, name, config).path


def _stem(corpus_dir: Path) -> str:
    manifest = load_manifest(corpus_dir)
    return f"{manifest.name}-v{manifest.version}"


def vocab_stage(name: str, corpus_dir: Path, add: int, min_frequency: int) -> Path | None:
    """The extended model folder, or None when `add` is 0."""
    if add == 0:
        return None
    from pipeline.vocab.extend import extend_vocab
    from pipeline.vocab.info import VOCAB_FILE

    out = domain_dir(name) / "vocab" / f"{_stem(corpus_dir)}-add{add}-min{min_frequency}"
    if (out / VOCAB_FILE).is_file():
        log.info("vocabulary: reusing %s", out)
        return out
    extend_vocab(corpus_dir, add, out, min_frequency=min_frequency, force=True)
    return out


def pretrain_dir(name: str, corpus_dir: Path, vocab: Path | None, config_digest: str) -> Path:
    suffix = f"-{vocab.name}" if vocab is not None else ""
    return domain_dir(name) / "pretrain" / f"{_stem(corpus_dir)}{suffix}-{config_digest}"


def config_digest(data: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:10]


def pretrain_stage(
    name: str, corpus_dir: Path, vocab: Path | None, config: Any, general: str | None
) -> dict[str, Any]:
    """The pretraining summary (pretrain.json) of a finished run with these inputs, else the run:
    resumed from its newest checkpoint when an earlier one was interrupted."""
    from pipeline.pretrain.run import pretrain
    from pipeline.train.base_model import PRETRAIN_SUMMARY
    from pipeline.train.checkpoint import list_checkpoints

    out = pretrain_dir(name, corpus_dir, vocab, config_digest(config.model_dump(mode="json")))
    summary_file = out / PRETRAIN_SUMMARY
    if summary_file.is_file():
        log.info("pretraining: reusing %s", out)
        finished: dict[str, Any] = json.loads(summary_file.read_text(encoding="utf-8"))
        return {**finished, "out_dir": str(out), "reused": True}
    resume = True if list_checkpoints(out) else None
    result = pretrain(
        corpus_dir,
        out,
        config,
        vocab=vocab,
        general=resolve_path(general) if general else None,
        resume=resume,
    )
    return {**result.summary, "out_dir": str(out), "reused": False}
