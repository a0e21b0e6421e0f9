from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pipeline.errors import SeedforgeError
from pipeline.study.build import build, prepare
from pipeline.study.config import SizeStudyConfig
from tests.study.conftest import FakeRun

CONFIG = SizeStudyConfig(sizes=[0.25, 0.5, 1.0], bootstrap_samples=200)


def run_study(
    version: Path, config: SizeStudyConfig, out: Path, run: Any, eval_set: Path | None = None
) -> dict:
    """As the CLI and the flow do: every check first, then the sizes."""
    return build(prepare(version, config, out, eval_set), config, out, run, base_model="base")


def test_the_study_reaches_the_verdicts_its_curves_show(version: Path, tmp_path: Path) -> None:
    run = FakeRun()
    study = run_study(version, CONFIG, tmp_path / "study", run.study_run())
    verdicts = {v["category"]: v for v in study["verdicts"]}
    assert verdicts["classification"]["verdict"] == "still improving"
    assert verdicts["math"]["verdict"] == "saturated"
    assert verdicts["open_qa"]["verdict"] == "not improving"
    assert study["quota"] == {"classification": 24, "math": 0, "open_qa": 0}
    # curves: the base level, then one point per size, with examples of that category
    assert [p["examples"] for p in study["curves"]["math"]] == [4, 8, 16]
    assert study["base"]["math"]["mean"] == pytest.approx(0.05, abs=0.01)
    out = tmp_path / "study"
    report = (out / "report.md").read_text()
    assert "![score by training-set size](plots/curves.png)" in report
    assert "category_quota:\n    classification: 24" in report
    assert (out / "plots" / "curves.png").read_bytes()[:4] == b"\x89PNG"
    assert json.loads((out / "study.json").read_text())["verdicts"] == study["verdicts"]
    # every size saw exactly its planned records
    plan = json.loads((out / "plan.json").read_text())
    for size in plan["sizes"]:
        seen = json.loads((out / "sizes" / size["label"] / "train" / "seen.json").read_text())
        assert len(seen) == size["records"]


def test_an_interrupted_study_resumes_with_the_finished_sizes(version: Path, tmp_path: Path) -> None:
    first = FakeRun(fail_eval_at="n000024")
    with pytest.raises(KeyboardInterrupt):
        run_study(version, CONFIG, tmp_path / "s", first.study_run())
    assert first.trained == ["n000012", "n000024"] and first.evaluated == ["n000012"]
    second = FakeRun()
    study = run_study(version, CONFIG, tmp_path / "s", second.study_run())
    assert second.trained == ["n000048"]  # the two finished adapters are reused
    assert second.evaluated == ["n000024", "n000048"]
    reused = {s["label"]: s["reused"] for s in study["sizes"]}
    assert reused == {"n000012": ["adapter", "evaluation"], "n000024": ["adapter"], "n000048": []}
    third = FakeRun()
    run_study(version, CONFIG, tmp_path / "s", third.study_run())
    assert third.trained == [] and third.evaluated == []  # a finished study costs nothing again


def test_a_study_folder_refuses_another_plan(version: Path, tmp_path: Path) -> None:
    run_study(version, CONFIG, tmp_path / "s", FakeRun().study_run())
    other = CONFIG.model_copy(update={"seed": 7})
    with pytest.raises(SeedforgeError, match=r"another plan \(seed differ\)"):
        run_study(version, other, tmp_path / "s", FakeRun().study_run())


def test_a_folder_holding_something_else_is_refused(version: Path, tmp_path: Path) -> None:
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "notes.txt").write_text("mine")
    with pytest.raises(SeedforgeError, match="holds no study plan"):
        run_study(version, CONFIG, tmp_path / "s", FakeRun().study_run())


def test_an_eval_set_without_categories_is_refused_before_training(version: Path, tmp_path: Path) -> None:
    eval_file = tmp_path / "eval.jsonl"
    eval_file.write_text(json.dumps({"instruction": "Say hi.", "input": "", "output": "Hi."}) + "\n")
    run = FakeRun()
    with pytest.raises(SeedforgeError, match="carry no category"):
        run_study(version, CONFIG, tmp_path / "s", run.study_run(), eval_set=eval_file)
    assert run.trained == []
    no_split = CONFIG.model_copy(update={"per_category": False})
    study = run_study(version, no_split, tmp_path / "s2", FakeRun().study_run(), eval_set=eval_file)
    assert list(study["curves"]) == ["all"]


def test_an_eval_file_with_categories_is_scored_per_category(version: Path, tmp_path: Path) -> None:
    eval_file = tmp_path / "eval.jsonl"
    rows = [
        {
            "instruction": f"Classify sentence {i}.",
            "input": "",
            "output": "positive",
            "category": "classification",
        }
        for i in range(4)
    ]
    eval_file.write_text("".join(json.dumps(r) + "\n" for r in rows))
    study = run_study(version, CONFIG, tmp_path / "s", FakeRun().study_run(), eval_set=eval_file)
    assert study["eval_items"] == 4
    assert study["curves"]["classification"][-1]["items"] == 4
    assert study["curves"]["math"][-1]["items"] == 0


@pytest.mark.parametrize(
    ("sizes", "message"),
    [
        ([0.5, 0.25], "strictly increasing"),
        ([0.5, 20], "mix fractions"),
        ([], "sizes is empty"),
        ([2.5], "whole"),
    ],
)
def test_bad_sizes_are_refused_by_the_config(sizes: list[float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SizeStudyConfig(sizes=sizes)
