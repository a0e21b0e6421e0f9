"""From the sizes' evaluation reports to the study: curves, verdicts, quota."""

from __future__ import annotations

from typing import Any

from pipeline.study.config import SizeStudyConfig
from pipeline.study.inputs import StudyInputs
from pipeline.study.plan import UNCATEGORIZED
from pipeline.study.scores import ALL, Point, item_scores, points
from pipeline.study.verdict import verdict


def _examples(by_category: dict[str, int], categories: list[str]) -> dict[str, int]:
    return {ALL: sum(by_category.values()), **{c: by_category.get(c, 0) for c in categories}}


def summarize_study(
    inputs: StudyInputs,
    config: SizeStudyConfig,
    reports: dict[str, dict[str, Any]],
    timings: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    plan = inputs.plan
    metric = config.score_metric()
    per_size: list[dict[str, Point]] = []
    for size in plan.sizes:
        rows = reports[size.label]["items"]
        per_size.append(
            points(
                item_scores(rows, "tuned", metric),
                _examples(size.by_category, plan.categories),
                confidence=config.confidence,
                samples=config.bootstrap_samples,
                seed=config.seed,
            )
        )
    first_rows = reports[plan.sizes[0].label]["items"]
    base = points(
        item_scores(first_rows, "base", metric),
        {},
        confidence=config.confidence,
        samples=config.bootstrap_samples,
        seed=config.seed,
    )
    shown = [ALL] + (plan.categories if config.per_category else [])
    empty = Point(examples=0, items=0, mean=None, low=None, high=None)
    curves = {
        category: [
            sized.get(category, empty.model_copy(update={"examples": size.by_category.get(category, 0)}))
            for sized, size in zip(per_size, plan.sizes, strict=True)
        ]
        for category in shown
    }
    verdicts = [verdict(category, curve, config.margin) for category, curve in curves.items()]
    quota = {v.category: v.suggested_quota for v in verdicts if v.category not in (ALL, UNCATEGORIZED)}
    return {
        "schema": "seedforge.size-study/1",
        "dataset": plan.dataset,
        "dataset_id": plan.dataset_id,
        "eval_set": inputs.eval_set,
        "eval_items": len(inputs.items),
        "decontaminated": inputs.decontaminated,
        "metric": metric,
        "margin": config.margin,
        "confidence": config.confidence,
        "seed": config.seed,
        "categories": plan.categories,
        "sizes": [
            {
                "label": size.label,
                "size": size.size,
                "records": size.records,
                "by_category": size.by_category,
                **timings.get(size.label, {"train_seconds": 0.0, "eval_seconds": 0.0, "reused": []}),
            }
            for size in plan.sizes
        ],
        "base": {c: p.model_dump() for c, p in base.items() if c in shown},
        "curves": {c: [p.model_dump() for p in curve] for c, curve in curves.items()},
        "verdicts": [v.model_dump() for v in verdicts],
        "quota": quota,
    }


def curves_of(study: dict[str, Any]) -> tuple[dict[str, list[Point]], dict[str, Point]]:
    curves = {c: [Point.model_validate(p) for p in curve] for c, curve in study["curves"].items()}
    base = {c: Point.model_validate(p) for c, p in study["base"].items()}
    return curves, base
