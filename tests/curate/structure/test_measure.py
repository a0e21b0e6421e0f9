import json
from pathlib import Path

import pytest

from pipeline.curate.structure.measure import (
    estimated_precision,
    measure,
    quality_estimate,
    read_labelled,
    split_of,
)
from pipeline.errors import SeedforgeError

SETS = Path(__file__).parents[3] / "bench" / "data" / "quality"


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return path


def test_measure_counts_recall_false_drops_and_precision(tmp_path: Path) -> None:
    rows = [
        {
            "id": "b1",
            "label": "bad",
            "kind": "fragment",
            "instruction": "and add one row to the table called",
            "output": "x.",
        },
        {"id": "b2", "label": "bad", "kind": "wrong_content", "instruction": "What is 2 + 2?", "output": "5"},
        {"id": "g1", "label": "good", "kind": "good", "instruction": "What is 2 + 2?", "output": "4"},
        {
            "id": "g2",
            "label": "good",
            "kind": "hard:fragment",
            "instruction": "Translate into French:",
            "input": "Hello",
            "output": "Bonjour",
        },
    ]
    summary = measure(read_labelled(_write(tmp_path / "set_en.jsonl", rows))).summary()
    assert summary["recall"] == 1.0 and summary["structural_bad"] == 1
    assert summary["false_drop_rate"] == 0.0 and summary["good"] == 2
    assert summary["semantic_recall"] == 0.0 and summary["kept_precision"] == 1.0


def test_a_broken_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "set_en.jsonl"
    path.write_text(
        '{"id": "a", "label": "good", "kind": "good", "instruction": "Hi.", "output": "Hi."}\n{oops\n'
    )
    with pytest.raises(SeedforgeError, match=r"set_en.jsonl:2"):
        read_labelled(path)


def test_estimated_precision_inverts_the_drop_rate() -> None:
    # 100 seen, 40 bad: a checker with r=0.9, f=0.05 drops 36 + 3 = 39 and keeps 4 bad, 57 good
    assert estimated_precision(100, 39, 0.9, 0.05) == pytest.approx(57 / 61, abs=1e-3)
    assert estimated_precision(0, 0, 0.9, 0.05) is None
    assert estimated_precision(10, 10, 0.5, 0.5) is None
    assert quality_estimate("en", 10, 2)["estimated_precision"] is not None


def test_halves_are_fixed_and_balanced() -> None:
    ids = [f"r{i}" for i in range(400)]
    assert [split_of(i) for i in ids] == [split_of(i) for i in ids]
    assert 150 < sum(split_of(i) == "dev" for i in ids) < 250


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_checks_meet_the_target_on_the_labelled_set(language: str) -> None:
    """>= 95% of structurally bad records dropped at <= 2% of good ones (bench/quality.py shows all)."""
    summary = measure(read_labelled(SETS / f"labelled_{language}.jsonl")).summary()
    assert summary["recall"] >= 0.95 and summary["false_drop_rate"] <= 0.02, summary
