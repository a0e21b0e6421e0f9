"""`seedforge study sizes` end to end on the tiny random model: real training and evaluation."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from pipeline.cli import app

runner = CliRunner()
STUDY_YAML = """
sizes: [0.5, 1.0]
bootstrap_samples: 200
train:
  epochs: 1
  batch_size: 8
  micro_batch_size: 8
  cutoff_len: 64
  warmup_steps: 0
evaluate:
  judge: false
  semantic_similarity: false
  max_new_tokens: 8
"""


def test_a_study_trains_evaluates_and_reports_then_resumes_for_free(
    version: Path, tiny_llama_dir: Path, tmp_path: Path
) -> None:
    config = tmp_path / "study.yaml"
    config.write_text(STUDY_YAML)
    args = ["study", "sizes", str(version), "--out", str(tmp_path / "s"), "--config", str(config)]
    args += ["--base-model", str(tiny_llama_dir)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    study = json.loads((tmp_path / "s" / "study.json").read_text())
    assert [s["records"] for s in study["sizes"]] == [24, 48]
    assert study["metric"] == "rouge_l"
    assert set(study["curves"]) == {"all", "classification", "math", "open_qa"}
    assert all(p["items"] == 6 for p in study["curves"]["math"])
    for size in study["sizes"]:
        assert (
            tmp_path / "s" / "sizes" / size["label"] / "train" / "adapter" / "adapter_config.json"
        ).is_file()
    assert "(quota" in result.output and "report:" in result.output
    again = runner.invoke(app, args)
    assert again.exit_code == 0, again.output
    resumed = json.loads((tmp_path / "s" / "study.json").read_text())
    assert all(s["reused"] == ["adapter", "evaluation"] for s in resumed["sizes"])
    assert resumed["curves"] == study["curves"]


def test_bad_input_stops_before_any_training(version: Path, tmp_path: Path) -> None:
    out = tmp_path / "s"
    result = runner.invoke(app, ["study", "sizes", str(version), "--out", str(out), "--sizes", "0.5,0.2"])
    assert result.exit_code == 2 and "strictly increasing" in result.output
    result = runner.invoke(app, ["study", "sizes", str(version), "--out", str(out), "--sizes", "10,100"])
    assert result.exit_code == 2 and "size 100 exceeds the training split (48 records" in result.output
    result = runner.invoke(app, ["study", "sizes", str(version), "--out", str(out), "--categories", "poetry"])
    assert result.exit_code == 2 and "categories poetry match no training record" in result.output
    assert not out.exists()  # nothing written
