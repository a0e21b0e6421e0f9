"""`seedforge compare`: the base and its domain-pretrained model on the same held-out sets."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from pipeline.cli import app

runner = CliRunner()


def test_compare_puts_base_and_pretrained_side_by_side(
    tmp_path: Path, tiny_llama_dir: Path, clinic_corpus: Path, general_text: Path, pretrained
) -> None:
    _, out_dir = pretrained
    out = tmp_path / "compare"
    args = ["compare", "--corpus", str(clinic_corpus), "--out", str(out), "--base-model", str(tiny_llama_dir)]
    result = runner.invoke(app, [*args, "--pretrained", str(out_dir), "--general", str(general_text)])
    assert result.exit_code == 0, result.output
    rows = json.loads((out / "ladder.json").read_text())
    assert [r["model"] for r in rows] == ["base", "domain-pretrained"]
    base, tuned = rows
    # the short run learnt the clinic language: lower domain perplexity on the same blocks
    assert tuned["domain"]["perplexity"] < base["domain"]["perplexity"]
    assert tuned["domain"]["tokens"] == base["domain"]["tokens"] > 0
    assert base["general"]["tokens"] > 0 and "instructions" not in base
    assert "| domain-pretrained |" in (out / "report.md").read_text()


def test_an_adapter_without_its_pretrained_model_is_refused(tmp_path: Path, clinic_corpus: Path) -> None:
    result = runner.invoke(
        app,
        ["compare", "--corpus", str(clinic_corpus), "--out", str(tmp_path / "c"), "--adapter", str(tmp_path)],
    )
    assert result.exit_code == 2 and "--adapter needs --pretrained" in result.output
    assert not (tmp_path / "c").exists()
