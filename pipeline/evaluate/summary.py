"""Per-item rows and their aggregates: overall and per category, base vs tuned."""

from __future__ import annotations

from collections import Counter
from statistics import fmean
from typing import Any

from pipeline.evaluate.evalsets import EvalItem
from pipeline.evaluate.judge import ItemJudgement
from pipeline.evaluate.metrics import wilson_interval
from pipeline.evaluate.rubrics import rubric_for

MODEL_SIDES = ("base", "tuned")
SCORES = ("rouge_l", "semantic", "judge")


def item_rows(
    items: list[EvalItem],
    answers: dict[str, list[str]],
    scores: dict[str, dict[str, list[float | None]]],
    judgements: list[ItemJudgement] | None,
) -> list[dict[str, Any]]:
    """One row per item: the texts, both answers and every score; missing scores are None."""
    rows = []
    for index, item in enumerate(items):
        judged = judgements[index] if judgements else None
        row: dict[str, Any] = {
            "id": item.id,
            "category": item.category,
            "source": item.source,
            "instruction": item.instruction,
            "input": item.input,
            "reference": item.reference,
        }
        for side in MODEL_SIDES:
            row[side] = {"answer": answers[side][index]}
            for metric in ("rouge_l", "semantic"):
                row[side][metric] = scores[side][metric][index]
            row[side]["judge"] = getattr(judged, f"{side}_score") if judged else None
        if judged:
            row["pairwise"] = {
                "base_first": judged.base_first,
                "tuned_first": judged.tuned_first,
                "outcome": judged.outcome(),
                "consistent": judged.consistent,
            }
            row["judge_reasons"] = judged.reasons or {}
        rows.append(row)
    return rows


def _mean(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(fmean(present), 4) if present else None


def pairwise_summary(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Wins, ties, losses over items with verdicts in both orders; the win rate counts a tie
    as half a win, and its Wilson interval treats it as such (conservative for ties)."""
    verdicts = [r["pairwise"] for r in rows if r.get("pairwise") and r["pairwise"]["outcome"]]
    if not any("pairwise" in r for r in rows):
        return None
    outcomes = Counter(v["outcome"] for v in verdicts)
    judged = len(verdicts)
    wins, ties, losses = outcomes["win"], outcomes["tie"], outcomes["loss"]
    rate = (wins + 0.5 * ties) / judged if judged else None
    return {
        "judged": judged,
        "wins": wins,
        "ties": ties,
        "losses": losses,
        "win_rate": round(rate, 4) if rate is not None else None,
        "ci95": list(wilson_interval(wins + 0.5 * ties, judged)) if judged else None,
        "position_consistency": round(sum(bool(v["consistent"]) for v in verdicts) / judged, 4)
        if judged
        else None,
    }


def aggregate(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"items": len(rows)}
    for side in MODEL_SIDES:
        out[side] = {metric: _mean([r[side][metric] for r in rows]) for metric in SCORES}
    out["scored"] = {metric: sum(r["tuned"][metric] is not None for r in rows) for metric in SCORES}
    out["pairwise"] = pairwise_summary(rows)
    return out


def summarize(rows: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """(overall, by category) with categories ordered by size."""
    counts = Counter(r["category"] for r in rows)
    by_category = {}
    for category, _ in counts.most_common():
        rubric = rubric_for(category)
        by_category[category] = {
            **aggregate([r for r in rows if r["category"] == category]),
            "rubric": rubric.category,
            "reference_shown_to_judge": not rubric.open_ended,
        }
    return aggregate(rows), by_category
