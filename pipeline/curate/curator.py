"""Curation as one incremental object: records go in batch by batch (or one by one, streamed),
each is kept or rejected with a reason and evidence, and what was kept informs the next
decision. Steps, always in this order, each individually selectable:

  filters ─► output_checks ─► structure ─► pii ─► exact ─► minhash ─► novelty

Seeds, explicit references and every earlier build in a persistent index count as kept.
Alpaca records and dialogues are curated alike (see `views`)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from pipeline.curate.config import STEPS, CurateConfig
from pipeline.curate.dedup import ExactIndex, exact_key
from pipeline.curate.index import TOKENIZER_VERSION, CurationIndex, IndexEntry
from pipeline.curate.novelty import NoveltyIndex
from pipeline.curate.prepare import PreparedRecord, Preparer, minhash_text
from pipeline.curate.report import CurationReport
from pipeline.curate.verdict import Verdict
from pipeline.curate.views import compared_text
from pipeline.records import AlpacaRecord, Lineage, Record, RejectedRecord, SeedTask
from pipeline.text import tokenize

if TYPE_CHECKING:
    from pipeline.curate.minhash import NearDupIndex


@dataclass
class CurationBatch:
    kept: list[Record] = field(default_factory=list)
    rejected: list[RejectedRecord] = field(default_factory=list)


@dataclass(frozen=True)
class Decision:
    record: Record  # as kept: PII redacted where the config says so
    rejected: RejectedRecord | None


def index_fingerprint(config: CurateConfig) -> dict[str, Any]:
    """Settings that change what an index entry means; an index refuses other settings."""
    from pipeline.curate.minhash import SHINGLE_HASH

    minhash = config.minhash
    return {
        "compare": config.compare,
        "tokenizer": TOKENIZER_VERSION,
        "num_perm": minhash.num_perm,
        "minhash_seed": minhash.seed,
        "word_ngram": minhash.word_ngram,
        "cjk_ngram": minhash.cjk_ngram,
        "minhash_text": minhash.text,
        "shingle_hash": SHINGLE_HASH,
    }


class Curator:
    def __init__(
        self, config: CurateConfig, steps: Iterable[str] | None = None, index: CurationIndex | None = None
    ):
        chosen = list(config.steps if steps is None else steps)
        unknown = sorted(set(chosen) - set(STEPS))
        if unknown:
            raise ValueError(f"unknown curation steps {unknown}; known: {', '.join(STEPS)}")
        self.config = config
        self.steps = tuple(step for step in STEPS if step in chosen)
        self.exact = ExactIndex()
        self.novelty = NoveltyIndex(config.rouge_threshold)
        self.index = index
        if "minhash" in self.steps or index is not None:
            self.near  # noqa: B018  # built now, so a remote index is reached before any work
        self.preparer = Preparer(config, self.steps, "minhash" in self.steps or index is not None)
        self.report = CurationReport(steps=self.steps)
        self.counts: Counter[str] = Counter()  # "kept", "rejected:<reason>"
        self._texts: dict[str, str] = {}  # id -> compared text, to show partners in evidence
        if index is not None:
            for entry in index.entries():
                self._remember(entry.id, entry.text, entry.signature)
                self.report.references["earlier_builds"] += 1

    @cached_property
    def near(self) -> NearDupIndex:
        """MinHash-LSH of what was kept; built on first use (datasketch loads scipy, about
        0.6 s, which a run of the novelty step alone never needs)."""
        from pipeline.curate.minhash import NearDupIndex

        return NearDupIndex(self.config.minhash, remote=self.index.remote() if self.index else None)

    @property
    def seen(self) -> int:
        return self.report.seen

    def _remember(self, record_id: str, text: str, signature: np.ndarray | None) -> None:
        self.exact.add(exact_key(text), record_id)
        self.novelty.add(record_id, tokenize(text))
        if signature is not None:
            self.near.add(record_id, signature)
        self._texts[record_id] = text

    def add_reference(self, ref_id: str, text: str) -> None:
        """A text new records must be novel against (exact and ROUGE-L), e.g. an eval item."""
        self._remember(ref_id, text, None)
        self.report.references["references"] += 1

    def add_reference_record(self, record: Record, kind: str = "records") -> None:
        """A whole record new ones must not duplicate (every step that compares)."""
        signature = self.near.signer.signature(minhash_text(record, self.config))
        self._remember(record.id, compared_text(record, self.config.compare), signature)
        self.report.references[kind] += 1

    def add_seeds(self, seeds: Iterable[SeedTask]) -> None:
        for seed in seeds:
            instance = seed.instances[0]
            self.add_reference_record(
                AlpacaRecord(
                    id=seed.id,
                    instruction=seed.instruction,
                    input=instance.input,
                    output=instance.output,
                    lineage=Lineage(generator="seed"),
                ),
                kind="seeds",
            )

    def _reject(self, record: Record, step: str, verdict: Verdict, text: str) -> Decision:
        rejected = RejectedRecord(
            record=record.model_dump(mode="json"), step=step, reason=verdict.reason, evidence=verdict.evidence
        )
        self.counts[f"rejected:{verdict.reason}"] += 1
        self.report.add_rejection(rejected, text)
        return Decision(record, rejected)

    def _partner(self, partner_id: str, **evidence: Any) -> dict[str, Any]:
        return {"partner_id": partner_id, "partner_text": self._texts.get(partner_id), **evidence}

    def _duplicate(self, step: str, prepared: PreparedRecord) -> Verdict | None:
        """Exact, MinHash or ROUGE-L duplicate of something kept, with the partner named."""
        if step == "exact":
            partner = self.exact.first_with(prepared.key)
            return (
                None
                if partner is None
                else Verdict("exact_duplicate", self._partner(partner, rule="exact", normalized=True))
            )
        if step == "minhash":
            assert prepared.signature is not None  # signed whenever the step runs
            near = self.near.find(prepared.signature, prepared.bands)
            return (
                None
                if near is None
                else Verdict(
                    "near_duplicate",
                    self._partner(
                        near.partner_id,
                        rule="minhash",
                        jaccard=round(near.jaccard, 4),
                        threshold=self.config.minhash.threshold,
                    ),
                )
            )
        match = self.novelty.find_near(prepared.tokens)
        return (
            None
            if match is None
            else Verdict(
                "rouge_novelty",
                self._partner(
                    match.partner_id,
                    rule="rouge_l",
                    score=match.score,
                    threshold=self.config.rouge_threshold,
                    compared=self.config.compare,
                ),
            )
        )

    def decide(self, record: Record) -> Decision:
        return self.decide_prepared(self.preparer.prepare(record))

    def decide_prepared(self, prepared: PreparedRecord) -> Decision:
        """The order-dependent half: duplicates of what was kept before, then keeping."""
        report, clock = self.report, time.perf_counter
        report.seen += 1
        for step, seconds in prepared.seconds.items():
            report.seconds[step] += seconds
        if prepared.pii_found:
            report.pii_records += 1
            report.pii_found.update(prepared.pii_found)
            report.pii_redacted += prepared.redacted
        record = prepared.record
        if prepared.verdict is not None:
            assert prepared.step is not None  # set together with the verdict
            return self._reject(record, prepared.step, prepared.verdict, prepared.text)
        for step in ("exact", "minhash", "novelty"):
            if step in self.steps:
                started = clock()
                verdict = self._duplicate(step, prepared)
                report.seconds[step] += clock() - started
                if verdict:
                    return self._reject(record, step, verdict, prepared.text)
        started = clock()
        self.exact.add(prepared.key, record.id)
        self.novelty.add(record.id, prepared.tokens)
        if prepared.signature is not None:
            self.near.add(record.id, prepared.signature, prepared.bands)
        self._texts[record.id] = prepared.text
        if self.index is not None:
            self.index.stage(IndexEntry(record.id, prepared.text, prepared.signature))
        report.seconds["indexing"] += clock() - started
        report.kept += 1
        self.counts["kept"] += 1
        return Decision(record, None)

    def consider_one(self, record: Record) -> RejectedRecord | None:
        """The rejection, or None when kept (use `decide` for the kept, possibly redacted, record)."""
        return self.decide(record).rejected

    def stream(self, records: Iterable[Record]) -> Iterator[Decision]:
        for record in records:
            yield self.decide(record)

    def consider(self, records: Iterable[Record]) -> CurationBatch:
        batch = CurationBatch()
        for decision in self.stream(records):
            if decision.rejected is None:
                batch.kept.append(decision.record)
            else:
                batch.rejected.append(decision.rejected)
        return batch
