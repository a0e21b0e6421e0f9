"""`seedforge study sizes` end to end on the tiny random model: real training and evaluation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
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


@pytest.mark.slow
def test_a_study_killed_mid_run_resumes_from_what_it_finished(
    version: Path, tiny_llama_dir: Path, tmp_path: Path
) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    config = tmp_path / "study.yaml"
    config.write_text(STUDY_YAML.replace("epochs: 1", "epochs: 30\n  save_steps: 2"))
    out = tmp_path / "s"
    args = [sys.executable, "-m", "pipeline.cli", "study", "sizes", str(version), "--out", str(out)]
    args += ["--config", str(config), "--base-model", str(tiny_llama_dir)]
    env = {**os.environ, "SEEDFORGE_DATA_DIR": os.environ["SEEDFORGE_DATA_DIR"]}
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    from pipeline.train.checkpoint import list_checkpoints

    second = out / "sizes" / "n000048" / "train"
    deadline = time.monotonic() + 300
    while not (second.is_dir() and list_checkpoints(second)) and process.poll() is None:
        assert time.monotonic() < deadline, "the second size never wrote a checkpoint"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert (out / "sizes" / "n000024" / "eval" / "report.json").is_file()
    assert not (out / "study.json").exists()
    finished = subprocess.run(args, env=env, capture_output=True, text=True, timeout=600)
    assert finished.returncode == 0, finished.stderr[-3000:]
    study = json.loads((out / "study.json").read_text())
    reused = {s["label"]: s["reused"] for s in study["sizes"]}
    assert reused == {"n000024": ["adapter", "evaluation"], "n000048": []}
    card = json.loads((out / "sizes" / "n000048" / "train" / "metrics.json").read_text())
    assert card["resumed_from"], "the killed size continued from its checkpoint"
