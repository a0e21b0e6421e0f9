"""A categorised dataset version and a study runner that trains nothing: its "adapter" scores
each eval item by how many examples of the item's category the size saw, so verdicts are
known in advance."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pipeline.dataset.versions import write_version
from pipeline.evaluate.evalsets import EvalItem
from pipeline.records import AlpacaRecord, Lineage, Record
from pipeline.study.build import StudyRun
from pipeline.study.plan import PlannedSize

# per category: training records, held-out records
SHAPE = {"classification": (24, 6), "math": (16, 6), "open_qa": (8, 6)}


WORDS = (
    "amber basalt cedar delta ember fjord garnet harbor iris jasper kelp lagoon meadow nectar "
    "orchid pebble quartz raven saffron tundra umber violet willow xenon yarrow zephyr"
).split()


def _words(seed: int, count: int = 6) -> str:
    """Distinct texts per record, so held-out items are not near-duplicates of training ones."""
    import random

    return " ".join(random.Random(seed).sample(WORDS, count))


def record(category: str, index: int, split: str) -> AlpacaRecord:
    seed = len(category) * 1000 + index * 2 + (split == "heldout")
    return AlpacaRecord(
        instruction=f"Describe {_words(seed)}.",
        input=f"input {category} {index}",
        output=f"output {index} for {category}",
        lineage=Lineage(generator="test", category=category, category_source="classifier"),
    )


def records(split: str, which: int) -> list[Record]:
    return [record(c, i, split) for c, shape in SHAPE.items() for i in range(shape[which])]


@pytest.fixture()
def version(data_dir: Path) -> Path:
    return write_version("study", records("train", 0), records("heldout", 1), [], config={}, stats={}).path


def improving(category: str, examples: int) -> float:
    """classification keeps improving, math saturates at 8 examples, open_qa never improves."""
    if category == "classification":
        return min(1.0, examples / 24)
    if category == "math":
        return 0.6 if examples >= 8 else 0.1 * examples / 8
    return 0.3


class FakeRun:
    """Trains nothing: writes the files a finished training leaves, and answers evaluations
    with scores from `improving` plus per-item noise, so intervals have width."""

    def __init__(
        self, fail_eval_at: str | None = None, score: Callable[[str, int], float] = improving
    ) -> None:
        self.trained: list[str] = []
        self.evaluated: list[str] = []
        self.fail_eval_at = fail_eval_at
        self.score = score

    def train(
        self, size: PlannedSize, recs: list[Record], validation: list[Record], base: str, out: Path
    ) -> Path:
        self.trained.append(size.label)
        (out / "adapter").mkdir(parents=True)
        (out / "seen.json").write_text(json.dumps([r.lineage.category for r in recs]))
        for name in ("metrics.json", "run_card.md"):
            (out / name).write_text("{}")
        return out / "adapter"

    def evaluate(
        self, size: PlannedSize, adapter: Path, base: str, items: list[EvalItem], eval_set: str, out: Path
    ) -> dict[str, Any]:
        if size.label == self.fail_eval_at:
            self.fail_eval_at = None
            raise KeyboardInterrupt  # as if the study were stopped here
        self.evaluated.append(size.label)
        rows = []
        for index, item in enumerate(items):
            noise = (index % 3 - 1) * 0.01
            tuned = self.score(item.category, size.by_category.get(item.category, 0)) + noise
            rows.append(
                {
                    "id": item.id,
                    "category": item.category,
                    "base": {"rouge_l": 0.05 + noise, "semantic": None, "judge": None},
                    "tuned": {"rouge_l": tuned, "semantic": None, "judge": None},
                }
            )
        report = {"items": rows}
        out.mkdir(parents=True)
        (out / "report.json").write_text(json.dumps(report))
        return report

    def study_run(self) -> StudyRun:
        return StudyRun(train=self.train, evaluate=self.evaluate, progress=lambda stage, text: None)
