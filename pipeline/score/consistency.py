"""Is the judge scoring the record, or where and how long things are?

- Position bias: a seeded sample of scored records is scored again with the answer side shown
  first (`output_first`: a different request, so the journal does not answer it with the
  first score). A judge that reads the record gives about the same score; the report shows the
  mean |Δscore|, the share identical and the share within 1.
- Verbosity bias: the Spearman correlation between score and output length over every scored
  record. Longer answers are often better, so a moderate correlation is not proof of bias; a
  strong one means the length alone predicts the score.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from pipeline.llm.step import StepRunner
from pipeline.records import AlpacaRecord, QualityScore, Record
from pipeline.score.prompts import Order
from pipeline.score.step import QualityScoreStep

Scored = tuple[Record, QualityScore]


@dataclass(frozen=True)
class Consistency:
    sampled: int = 0  # records scored again with the other order
    unreadable: int = 0  # of those, second answers without a usable score
    pairs: list[tuple[str, int, int]] = field(default_factory=list)  # (record id, first, second)
    length_spearman: float | None = None  # score vs output length, over every scored record
    length_records: int = 0

    @property
    def compared(self) -> int:
        return len(self.pairs)

    @property
    def mean_abs_delta(self) -> float | None:
        if not self.pairs:
            return None
        return sum(abs(first - second) for _, first, second in self.pairs) / len(self.pairs)

    @property
    def share_identical(self) -> float | None:
        return self._share(0)

    @property
    def share_within_1(self) -> float | None:
        return self._share(1)

    def _share(self, tolerance: int) -> float | None:
        if not self.pairs:
            return None
        return sum(abs(first - second) <= tolerance for _, first, second in self.pairs) / len(self.pairs)


def output_length(record: Record) -> int:
    """Characters on the answer side: the output, or every assistant turn of a dialogue."""
    if isinstance(record, AlpacaRecord):
        return len(record.output)
    return sum(len(message.content) for message in record.messages if message.role == "assistant")


def ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks; tied values share the mean of their ranks."""
    order = sorted(range(len(values)), key=lambda index: values[index])
    result = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for position in range(start, end + 1):
            result[order[position]] = (start + end) / 2 + 1
        start = end + 1
    return result


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Spearman's rank correlation (Pearson on tie-averaged ranks); None for fewer than three
    pairs or when either side is constant."""
    if len(xs) != len(ys):
        raise ValueError("spearman needs two sequences of the same length")
    if len(xs) < 3:
        return None
    rx, ry = ranks(xs), ranks(ys)
    mean_x, mean_y = sum(rx) / len(rx), sum(ry) / len(ry)
    covariance = sum((a - mean_x) * (b - mean_y) for a, b in zip(rx, ry, strict=True))
    spread_x = math.sqrt(sum((a - mean_x) ** 2 for a in rx))
    spread_y = math.sqrt(sum((b - mean_y) ** 2 for b in ry))
    if spread_x == 0 or spread_y == 0:
        return None
    return covariance / (spread_x * spread_y)


def sample_scored(scored: Sequence[Scored], size: int, seed: int) -> list[Scored]:
    """`size` of the scored records (all when fewer), drawn with `seed`, in their own order."""
    if size >= len(scored):
        return list(scored)
    chosen = sorted(random.Random(seed).sample(range(len(scored)), size))
    return [scored[index] for index in chosen]


def check_consistency(
    runner: StepRunner, step: QualityScoreStep, scored: Sequence[Scored], *, sample: int, seed: int
) -> Consistency:
    """Re-score a seeded sample with the other order (one batch through `runner`) and measure
    the agreement; the length correlation over every scored record."""
    rho = spearman([output_length(record) for record, _ in scored], [score.score for _, score in scored])
    chosen = sample_scored(scored, sample, seed)
    if not chosen:
        return Consistency(length_spearman=rho, length_records=len(scored))
    other: Order = "instruction_first" if step.order == "output_first" else "output_first"
    again = runner.run(replace(step, order=other, name=f"{step.name}_consistency"), [r for r, _ in chosen])
    second = {record.id: value.score for record, value in again.parsed}
    pairs = [(record.id, first.score, second[record.id]) for record, first in chosen if record.id in second]
    return Consistency(
        sampled=len(chosen),
        unreadable=len(again.rejected),
        pairs=pairs,
        length_spearman=rho,
        length_records=len(scored),
    )
