"""`build_corpus`: raw documents to a published corpus version, in one streaming pass.

read -> boilerplate lines removed -> language id -> language filter -> quality rules -> exact and
near-duplicate documents -> repeated paragraphs -> PII redacted -> held-out split by document ->
train/heldout JSONL and packed token blocks. Every dropped document goes to dropped.jsonl and every
removed span to removed.jsonl, with its rule and evidence (PII in them redacted too).

Memory stays flat in the corpus size: one document (and one tokenizer batch) at a time, files
written as they stream, and only digests, signatures and counters kept across documents. All is
written in a staging directory published as the next version only when complete."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from pipeline.corpus.config import CorpusConfig
from pipeline.corpus.documents import Document
from pipeline.corpus.report import BuildReport, render_markdown
from pipeline.corpus.stages import Cleaner
from pipeline.corpus.store import MANIFEST, CorpusManifest, check_name, corpora_root, next_version
from pipeline.errors import SeedforgeError

Progress = Callable[[str], None]
PROGRESS_EVERY = 2000  # documents between progress lines
STAGES = ("read", "boilerplate", "language", "quality", "dedup", "paragraphs", "pii", "kept")


def heldout_share(doc_id: str) -> float:
    """Where a document falls in [0, 1): below the held-out fraction means held out. A hash of the
    id alone, so a document lands in the same split in every build (as dataset versions do)."""
    digest = hashlib.sha256(f"heldout:{doc_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


@dataclass
class CorpusBuild:
    name: str
    version: int
    path: Path
    manifest: CorpusManifest
    report: dict[str, Any]


class SplitWriter:
    """One split: the kept documents as JSON lines and their tokens packed into blocks."""

    def __init__(self, staging: Path, split: str, tokenizer: Any, config: CorpusConfig, report: BuildReport):
        from pipeline.corpus.pack import BATCH_DOCUMENTS, BlockPacker

        self.split, self.report, self.batch_size = split, report, BATCH_DOCUMENTS
        self.jsonl: IO[str] = (staging / f"{split}.jsonl").open("w", encoding="utf-8")
        self.packer = BlockPacker(tokenizer, config.block_size, staging / f"{split}.bin")
        self.pending: list[Document] = []
        self.documents = self.characters = 0

    def add(self, document: Document) -> None:
        row = {
            "id": document.id,
            "source": document.source,
            "language": document.language,
            "text": document.text,
        }
        self.jsonl.write(json.dumps(row, ensure_ascii=False) + "\n")
        self.documents += 1
        self.characters += len(document.text)
        self.pending.append(document)
        if len(self.pending) >= self.batch_size:
            self._flush()

    def _flush(self) -> None:
        counts = self.packer.add_batch([document.text for document in self.pending])
        for document, tokens in zip(self.pending, counts, strict=True):
            self.report.kept(document.language or "unknown", len(document.text), tokens)
        self.pending = []

    def close(self) -> dict[str, int]:
        self._flush()
        self.jsonl.close()
        stats = self.packer.close()
        return {
            "documents": self.documents,
            "characters": self.characters,
            "tokens": stats.tokens,
            "blocks": stats.blocks,
            "dropped_tail": stats.dropped_tail,
        }


def _write_rows(handle: IO[str], rows: Sequence[Any]) -> None:
    for row in rows:
        handle.write(json.dumps(asdict(row), ensure_ascii=False) + "\n")


def _stream(
    paths: Sequence[str | Path],
    config: CorpusConfig,
    tokenizer: Any,
    staging: Path,
    report: BuildReport,
    progress: Progress | None,
) -> Any:
    from pipeline.corpus.readers import ReadStats, iter_documents

    stats = ReadStats()
    cleaner = Cleaner(config, report)
    writers = {
        split: SplitWriter(staging, split, tokenizer, config, report) for split in ("train", "heldout")
    }
    with (
        (staging / "dropped.jsonl").open("w", encoding="utf-8") as dropped,
        (staging / "removed.jsonl").open("w", encoding="utf-8") as removed,
    ):
        for document in iter_documents(paths, text_field=config.text_field, stats=stats):
            outcome = cleaner.clean(document)
            _write_rows(removed, outcome.removed)
            if outcome.dropped is not None:
                report.drop(outcome.dropped)
                _write_rows(dropped, [outcome.dropped])
            else:
                split = "heldout" if heldout_share(document.id) < config.heldout_fraction else "train"
                writers[split].add(outcome.document)
                report.passed("kept")
            if progress is not None and stats.documents % PROGRESS_EVERY == 0:
                progress(f"{stats.documents:,} documents read, {report.funnel.get('kept', 0):,} kept")
    for split, writer in writers.items():
        report.splits[split] = writer.close()
    return stats


def _check_outcome(paths: Sequence[str | Path], report: BuildReport, config: CorpusConfig) -> None:
    read, kept = report.funnel.get("read", 0), report.funnel.get("kept", 0)
    if read == 0:
        raise SeedforgeError("no documents found in " + ", ".join(str(p) for p in paths))
    if kept == 0:
        reasons = "; ".join(f"{rule} ({count})" for rule, count in report.top_reasons())
        raise SeedforgeError(f"all {read} documents were filtered out; top reasons: {reasons}")
    train = report.splits["train"]
    if train["blocks"] == 0:
        raise SeedforgeError(
            f"the {kept} kept documents give {train['tokens']} training tokens, less than one block of "
            f"{config.block_size}: add documents or lower --block-size"
        )
    if report.splits["heldout"]["blocks"] == 0:
        report.warnings.append(
            "the held-out split has no full block: held-out perplexity needs more documents "
            "or a larger heldout_fraction"
        )


def _drop_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()  # only ever removes an empty folder
    except OSError:
        pass


def build_corpus(
    paths: Sequence[str | Path], name: str, config: CorpusConfig, *, progress: Progress | None = None
) -> CorpusBuild:
    """Build and publish the next version of corpus `name` from `paths`; SeedforgeError (nothing
    published) for unreadable input, no documents, or none left after filtering."""
    from pipeline.corpus.pack import block_dtype, tokenizer_fingerprint
    from pipeline.corpus.readers import check_inputs
    from pipeline.io import publish_dir, staging_dir, write_atomic, write_json_atomic
    from pipeline.train.base_model import load_tokenizer, prepare_base_model

    check_name(name)
    check_inputs(paths)  # before the base model is converted (seconds, and written to disk)
    base_model = prepare_base_model(config.base_model)
    tokenizer = load_tokenizer(base_model)
    version = next_version(name)
    final = corpora_root() / name / f"v{version}"
    # a failed build leaves none of the folders it made empty behind: corpora/NAME, corpora/, data/
    fresh = [folder for folder in (final.parent, *final.parent.parents) if not folder.exists()]
    report = BuildReport()
    for stage in STAGES:
        report.stage(stage)
    try:
        with staging_dir(final) as staging:
            stats = _stream(paths, config, tokenizer, staging, report, progress)
            _check_outcome(paths, report, config)
            summary = report.as_json()
            manifest = CorpusManifest.model_validate(
                {
                    "name": name,
                    "version": version,
                    "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "sources": [asdict(source) for source in stats.sources],
                    "config": config.model_dump(mode="json"),
                    "tokenizer": {
                        "base_model": base_model,
                        "fingerprint": tokenizer_fingerprint(tokenizer),
                        "vocab_size": len(tokenizer),
                    },
                    "block_size": config.block_size,
                    "dtype": block_dtype(len(tokenizer)).name,
                    "splits": report.splits,
                    "languages": dict(report.languages_kept),
                    "counts": {**report.funnel, "dropped": report.funnel["read"] - report.funnel["kept"]},
                }
            )
            write_json_atomic(staging / "report.json", summary)
            write_atomic(staging / "report.md", render_markdown(name, version, summary))
            write_json_atomic(staging / MANIFEST, manifest.model_dump(mode="json"))
            try:
                publish_dir(staging, final, replace=False)
            except OSError:
                raise SeedforgeError(
                    f"corpus {name} v{version} was published by another build meanwhile: run the build again"
                ) from None
    finally:
        for folder in fresh:  # deepest first
            _drop_if_empty(folder)
    return CorpusBuild(name, version, final, manifest, summary)
