"""Scores per category per size, with bootstrap confidence intervals from per-item scores."""

from __future__ import annotations

import random
from statistics import fmean
from typing import Any

from pydantic import BaseModel

ALL = "all"


class Point(BaseModel):
    """One category at one size: the mean per-item score and its confidence interval."""

    examples: int  # training examples of this category (all categories' for ALL)
    items: int  # scored eval items
    mean: float | None
    low: float | None  # None when fewer than two items: no interval can be drawn
    high: float | None


def bootstrap_interval(
    values: list[float], confidence: float, samples: int, seed: int
) -> tuple[float | None, float | None]:
    """Percentile bootstrap of the mean; None with fewer than two values."""
    if len(values) < 2:
        return None, None
    rng = random.Random(seed)
    n = len(values)
    means = sorted(fmean(rng.choices(values, k=n)) for _ in range(samples))
    tail = (1 - confidence) / 2
    low = means[int(tail * (samples - 1))]
    high = means[int(round((1 - tail) * (samples - 1)))]
    return round(low, 4), round(high, 4)


def item_scores(rows: list[dict[str, Any]], side: str, metric: str) -> dict[str, list[float]]:
    """Per category (and ALL): the side's scores on the metric, items without one left out."""
    by_category: dict[str, list[float]] = {ALL: []}
    for row in rows:
        value = row[side].get(metric)
        if value is None:
            continue
        by_category.setdefault(row["category"], []).append(float(value))
        by_category[ALL].append(float(value))
    return by_category


def points(
    scores: dict[str, list[float]],
    examples: dict[str, int],
    *,
    confidence: float,
    samples: int,
    seed: int,
) -> dict[str, Point]:
    result = {}
    for category, values in scores.items():
        low, high = bootstrap_interval(values, confidence, samples, seed)
        result[category] = Point(
            examples=examples.get(category, 0),
            items=len(values),
            mean=round(fmean(values), 4) if values else None,
            low=low,
            high=high,
        )
    return result
