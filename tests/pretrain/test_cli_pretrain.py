"""`seedforge pretrain` end to end on the tiny model, its config file, and its errors."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from pipeline.cli import app

runner = CliRunner()


def test_pretrain_command_with_config_file(tiny_llama_dir: Path, clinic_corpus: Path, tmp_path: Path) -> None:
    config = tmp_path / "pretrain.yaml"
    config.write_text(
        "pretrain:\n  learning_rate: 0.01\n  batch_size: 4\n  eval_blocks: 4\n", encoding="utf-8"
    )
    out = tmp_path / "out"
    args = ["pretrain", str(clinic_corpus), "--out", str(out), "--base-model", str(tiny_llama_dir)]
    args += ["--config", str(config), "--max-steps", "2", "--general", str(tmp_path / "none.txt")]
    missing = runner.invoke(app, args)
    assert missing.exit_code == 2 and "general text file not found" in missing.output
    args[-1] = str(clinic_corpus / "train.jsonl")  # any text will do for the forgetting check
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "pretrain.json").read_text(encoding="utf-8"))
    assert summary["steps"] == 2
    assert summary["config"]["learning_rate"] == 0.01 and summary["config"]["max_steps"] == 2
    assert summary["perplexity"]["domain"]["blocks"] == 4
    assert "domain perplexity:" in result.output and str(out / "merged") in result.output


def test_bad_config_and_unknown_corpus(data_dir: Path, tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("learning_rat: 0.1\n", encoding="utf-8")
    result = runner.invoke(app, ["pretrain", "clinic", "--out", str(tmp_path / "o"), "--config", str(config)])
    assert result.exit_code == 2 and "learning_rat" in result.output and "bad.yaml:1" in result.output
    config.write_text("pretrain:\n  max_steps: 2\n  lora_rr: 3\n", encoding="utf-8")  # nested: its line
    result = runner.invoke(app, ["pretrain", "clinic", "--out", str(tmp_path / "o"), "--config", str(config)])
    assert result.exit_code == 2 and "bad.yaml:3: pretrain.lora_rr" in " ".join(result.output.split())
    result = runner.invoke(app, ["pretrain", "nowhere", "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "no corpus named 'nowhere'" in result.output
    result = runner.invoke(app, ["pretrain", "nowhere", "--out", str(tmp_path / "o"), "--batch-size", "0"])
    assert result.exit_code == 2 and "--batch-size" in result.output
