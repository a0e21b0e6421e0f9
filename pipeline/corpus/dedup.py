"""Duplicate removal across the documents of a corpus, in one streaming pass.

Document level: an exact duplicate (same text after NFKC, case and whitespace folding) or a near
duplicate (MinHash-LSH over word n-grams, character n-grams for Chinese; curation's signer and
compact LSH) of a document kept earlier is dropped. Paragraph level: a paragraph of at least
`paragraph_min_chars` characters already seen in `paragraph_min_documents` earlier documents is
removed from later ones (navigation blocks, licence footers, disclaimers that boilerplate rules
do not know).

Memory: only 8-byte digests, MinHash signatures (num_perm uint32 each) and paragraph counters
are kept, never a text; they grow with the number of distinct documents, far below the corpus."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from pydantic import Field

from pipeline.settings import StrictModel
from pipeline.text import normalize

_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n\s*")

RULE_EXACT = "dedup:exact"
RULE_NEAR = "dedup:near"
RULE_PARAGRAPH = "dedup:repeated_paragraph"


class CorpusDedupConfig(StrictModel):
    exact: bool = Field(default=True, description="Drop documents whose normalised text was seen before")
    near: bool = Field(default=True, description="Drop near duplicates (MinHash-LSH)")
    threshold: float = Field(default=0.8, gt=0, le=1, description="Jaccard of shingle sets")
    num_perm: int = Field(default=128, ge=16, le=1024)
    word_ngram: int = Field(default=5, ge=1, description="Shingle size in words (space-delimited text)")
    cjk_ngram: int = Field(default=5, ge=1, description="Shingle size in characters (Chinese text)")
    seed: int = 1
    paragraphs: bool = Field(default=True, description="Remove paragraphs repeated across documents")
    paragraph_min_chars: int = Field(default=50, ge=1, description="Shorter paragraphs are never removed")
    paragraph_min_documents: int = Field(
        default=3, ge=1, description="Remove a paragraph once this many earlier documents held it"
    )


def _digest(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


@dataclass(frozen=True, slots=True)
class Duplicate:
    rule: str
    evidence: str


class DocumentDeduper:
    """`check(id, text)`: a Duplicate when an earlier kept document matches; otherwise the
    document is remembered (as digest and signature) and None is returned."""

    def __init__(self, config: CorpusDedupConfig):
        self.config = config
        self._exact: dict[int, str] = {}
        self._near = None
        if config.near:
            from pipeline.curate.config import MinHashConfig
            from pipeline.curate.minhash import NearDupIndex

            minhash = MinHashConfig(
                threshold=config.threshold,
                num_perm=config.num_perm,
                word_ngram=config.word_ngram,
                cjk_ngram=config.cjk_ngram,
                seed=config.seed,
            )
            self._near = NearDupIndex(minhash)

    def check(self, doc_id: str, text: str) -> Duplicate | None:
        digest = _digest(normalize(text)) if self.config.exact else None
        if digest is not None and digest in self._exact:
            return Duplicate(RULE_EXACT, f"same normalised text as {self._exact[digest]}")
        if self._near is not None:
            signature = self._near.signer.signature(text)
            match = self._near.find(signature)
            if match is not None:
                return Duplicate(
                    RULE_NEAR, f"near duplicate of {match.partner_id} (Jaccard ~{match.jaccard:.2f})"
                )
            self._near.add(doc_id, signature)
        if digest is not None:
            self._exact[digest] = doc_id
        return None


@dataclass(frozen=True, slots=True)
class RemovedParagraph:
    text: str
    evidence: str


class ParagraphFilter:
    """Removes paragraphs that `min_documents` earlier documents already held; counts each
    paragraph once per document."""

    def __init__(self, min_chars: int, min_documents: int):
        self.min_chars, self.min_documents = min_chars, min_documents
        self._seen: dict[int, int] = {}

    def apply(self, text: str) -> tuple[str, list[RemovedParagraph]]:
        """The text without its repeated paragraphs (the rest joined by blank lines), and those removed."""
        paragraphs = _PARAGRAPH_BREAK.split(text.strip())
        kept: list[str] = []
        removed: list[RemovedParagraph] = []
        counted: set[int] = set()
        for paragraph in paragraphs:
            if len(paragraph) < self.min_chars:
                kept.append(paragraph)
                continue
            digest = _digest(normalize(paragraph))
            seen = self._seen.get(digest, 0)
            if seen >= self.min_documents:
                removed.append(RemovedParagraph(paragraph, f"same paragraph in >= {seen} earlier documents"))
                continue
            kept.append(paragraph)
            if digest not in counted:
                counted.add(digest)
                self._seen[digest] = seen + 1
        if not removed:
            return text, removed
        return "\n\n".join(p for p in kept if p), removed
