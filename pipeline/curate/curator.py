"""Curation as one incremental object: records go in batch by batch, each is kept or rejected
with a reason, and what was kept informs the next decision (exact and novelty indexes)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from pipeline.config import CurateConfig
from pipeline.curate.dedup import ExactIndex, exact_key
from pipeline.curate.filters import FILTER_RULES, OUTPUT_RULES, first_violation
from pipeline.curate.novelty import NoveltyIndex
from pipeline.curate.tokenize import tokenize
from pipeline.records import AlpacaRecord, RejectedRecord, SeedTask

STEPS = ("filters", "output_checks", "exact", "novelty")


@dataclass
class CurationBatch:
    kept: list[AlpacaRecord] = field(default_factory=list)
    rejected: list[RejectedRecord] = field(default_factory=list)


class Curator:
    def __init__(self, config: CurateConfig, steps: Iterable[str] = STEPS):
        self.config = config
        self.steps = tuple(steps)
        unknown = set(self.steps) - set(STEPS)
        if unknown:
            raise ValueError(f"unknown curation steps {sorted(unknown)}; known: {', '.join(STEPS)}")
        self.exact = ExactIndex()
        self.novelty = NoveltyIndex(config.rouge_threshold)
        self.counts: Counter[str] = Counter()
        self.seen = 0

    def compared_text(self, record: AlpacaRecord) -> str:
        return record.instruction if self.config.compare == "instruction" else record.prompt_text

    def add_reference(self, ref_id: str, text: str) -> None:
        """Seeds and earlier builds: new records must be novel against them too."""
        self.exact.add(exact_key(text), ref_id)
        self.novelty.add(ref_id, tokenize(text))

    def add_seeds(self, seeds: Iterable[SeedTask]) -> None:
        for seed in seeds:
            text = seed.instruction if self.config.compare == "instruction" else \
                f"{seed.instruction}\n{seed.instances[0].input}".strip()
            self.add_reference(seed.id, text)

    def _reject(self, record: AlpacaRecord, step: str, reason: str, evidence: dict) -> RejectedRecord:
        self.counts[f"rejected:{reason}"] += 1
        return RejectedRecord(record=record.model_dump(mode="json"), step=step, reason=reason,
                              evidence=evidence)

    def consider_one(self, record: AlpacaRecord) -> RejectedRecord | None:
        self.seen += 1
        if "filters" in self.steps:
            verdict = first_violation(record, self.config, FILTER_RULES)
            if verdict:
                return self._reject(record, "filters", *verdict)
        if "output_checks" in self.steps:
            verdict = first_violation(record, self.config, OUTPUT_RULES)
            if verdict:
                return self._reject(record, "output_checks", *verdict)
        text = self.compared_text(record)
        key = exact_key(text)
        if "exact" in self.steps:
            partner = self.exact.first_with(key)
            if partner is not None:
                return self._reject(record, "exact", "exact_duplicate", {"partner_id": partner})
        tokens = tokenize(text)
        if "novelty" in self.steps:
            near = self.novelty.find_near(tokens)
            if near is not None:
                return self._reject(record, "novelty", "rouge_novelty", {
                    "partner_id": near.partner_id, "score": near.score,
                    "threshold": self.config.rouge_threshold,
                })
        self.exact.add(key, record.id)
        self.novelty.add(record.id, tokens)
        self.counts["kept"] += 1
        return None

    def consider(self, records: Iterable[AlpacaRecord]) -> CurationBatch:
        batch = CurationBatch()
        for record in records:
            rejected = self.consider_one(record)
            if rejected is None:
                batch.kept.append(record)
            else:
                batch.rejected.append(rejected)
        return batch
