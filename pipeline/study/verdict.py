"""A plain verdict per category from its curve, and the quota it suggests for the next build.

- *not improving*: the largest size scores less than `margin` above the smallest, or the last
  doubling lost score beyond the confidence intervals;
- *saturated*: it did improve, but the last doubling gained less than `margin`;
- *still improving*: the last doubling gained at least `margin`;
- *too little data*: fewer than two sizes had training examples and scored items.
- The suggested quota is the number of new records to generate for the category in the next
  build (`generate.category_quota`): one more doubling where it still improves, none where
  more data stopped helping or never helped.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from pipeline.study.scores import Point

Verdict = Literal["still improving", "saturated", "not improving", "too little data"]


class CategoryVerdict(BaseModel):
    category: str
    verdict: Verdict
    last_doubling_gain: float | None  # score gained from the previous size to the largest
    overall_gain: float | None  # from the smallest trained size to the largest
    examples: int  # training examples of the category at the largest size
    suggested_quota: int
    why: str


def _overlap(a: Point, b: Point) -> bool:
    if a.low is None or a.high is None or b.low is None or b.high is None:
        return True  # no interval: the difference cannot be called real
    return a.low <= b.high and b.low <= a.high


def _previous_doubling(curve: list[Point]) -> Point:
    """The largest size with at most half the largest size's examples, else the previous one."""
    last = curve[-1]
    halves = [p for p in curve[:-1] if p.examples * 2 <= last.examples]
    return halves[-1] if halves else curve[-2]


def verdict(category: str, curve: list[Point], margin: float) -> CategoryVerdict:
    """`curve`: the category's points at increasing sizes (trained adapters only)."""
    scored = [p for p in curve if p.mean is not None and p.examples > 0]
    if len(scored) < 2:
        examples = curve[-1].examples if curve else 0
        return CategoryVerdict(
            category=category,
            verdict="too little data",
            last_doubling_gain=None,
            overall_gain=None,
            examples=examples,
            suggested_quota=examples,
            why="fewer than two sizes had training examples and scored items",
        )
    first, last = scored[0], scored[-1]
    previous = _previous_doubling(scored)
    assert first.mean is not None and last.mean is not None and previous.mean is not None
    gain = round(last.mean - previous.mean, 4)
    overall = round(last.mean - first.mean, 4)
    overlapping = _overlap(previous, last)
    span = f"{previous.examples}→{last.examples} examples"
    if overall < margin or (gain < 0 and not overlapping):
        outcome: Verdict = "not improving"
        quota = 0
        why = (
            f"the largest size scores {overall:+.3f} against the smallest ({first.examples} examples), "
            f"less than the margin {margin}"
            if overall < margin
            else f"the last doubling ({span}) lost {gain:+.3f}, beyond the confidence intervals"
        )
    elif gain < margin:
        outcome, quota = "saturated", 0
        why = f"the last doubling ({span}) gained {gain:+.3f} < margin {margin}" + (
            " with overlapping confidence intervals" if overlapping else ""
        )
    else:
        outcome, quota = "still improving", last.examples
        why = f"the last doubling ({span}) gained {gain:+.3f} ≥ margin {margin}" + (
            " (intervals overlap: more items would make it surer)" if overlapping else ""
        )
    return CategoryVerdict(
        category=category,
        verdict=outcome,
        last_doubling_gain=gain,
        overall_gain=overall,
        examples=last.examples,
        suggested_quota=quota,
        why=why,
    )
