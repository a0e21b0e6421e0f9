"""`seedforge eval --adapter` takes the adapter folder or the folder `seedforge train --out`
wrote (its adapter/ inside); anything else is refused before any work."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.errors import SeedforgeError
from pipeline.evaluate.models import adapter_directory, read_adapter_config
from tests.evaluate.conftest import WORD_RECORDS

runner = CliRunner()


def fake_training_run(root: Path) -> Path:
    """A training run's folder as `seedforge train --out` leaves it, with a stand-in adapter."""
    adapter = root / "adapter"
    adapter.mkdir(parents=True)
    (adapter / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": "/nowhere", "r": 8}))
    return adapter


def test_the_training_folder_or_the_adapter_folder(tmp_path: Path) -> None:
    adapter = fake_training_run(tmp_path / "run")
    assert adapter_directory(tmp_path / "run") == adapter
    assert adapter_directory(adapter) == adapter
    assert read_adapter_config(tmp_path / "run")["r"] == 8
    (tmp_path / "other").mkdir()
    with pytest.raises(SeedforgeError, match="not a PEFT adapter directory") as raised:
        adapter_directory(tmp_path / "other")
    assert "nor a `seedforge train --out` folder (no adapter/adapter_config.json)" in str(raised.value)
    assert str(tmp_path / "other") in str(raised.value)


def test_cli_refuses_a_folder_that_is_neither_before_any_work(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    eval_set = tmp_path / "eval.json"
    eval_set.write_text(json.dumps([{"instruction": "q", "output": "a"}]))
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["eval", "--adapter", str(tmp_path / "empty"), "--eval-set", str(eval_set), "--out", str(out)]
    )
    assert result.exit_code == 2
    assert "not a PEFT adapter directory" in result.output and "seedforge train --out" in result.output
    assert not out.exists()


def test_cli_evaluates_the_folder_train_wrote(
    tiny_llama_dir: Path, word_adapter: Path, tmp_path: Path
) -> None:
    eval_set = tmp_path / "eval.jsonl"
    eval_set.write_text("\n".join(json.dumps(r.to_alpaca()) for r in WORD_RECORDS[:2]), encoding="utf-8")
    # a plain Alpaca list, as `train --data` takes it (it was refused: "lineage: Field required")
    plain = tmp_path / "plain.json"
    unrelated = {"instruction": "Name the largest ocean on Earth.", "input": "", "output": "The Pacific."}
    plain.write_text(json.dumps([unrelated]), encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        [
            "eval",
            "--train-set",
            str(plain),
            "--adapter",
            str(word_adapter.parent),  # the training run's folder, not its adapter/
            "--base-model",
            str(tiny_llama_dir),
            "--eval-set",
            str(eval_set),
            "--out",
            str(out),
            "--max-new-tokens",
            "4",
            "--no-judge",
            "--no-semantic",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    assert report["models"]["adapter"] == str(word_adapter)
    assert report["decontamination"]["checked_against"] == str(plain)
    assert report["decontamination"]["dropped"] == [] and report["eval_set"]["items"] == 2


def test_cli_names_an_output_that_is_a_file(tmp_path: Path) -> None:
    fake_training_run(tmp_path / "run")
    eval_set = tmp_path / "eval.json"
    eval_set.write_text(json.dumps([{"instruction": "q", "output": "a"}]))
    (tmp_path / "precious.txt").write_text("mine")
    args = ["eval", "--adapter", str(tmp_path / "run"), "--eval-set", str(eval_set)]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "precious.txt"), "--overwrite"])
    assert result.exit_code == 2 and "--out is a file; expected a directory" in result.output
    assert (tmp_path / "precious.txt").read_text() == "mine"


def test_a_base_model_other_than_the_adapters_own_is_warned_about(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from pipeline.commands.evaluate import _resolve_base

    trained_on, other = tmp_path / "base", tmp_path / "other"
    for folder in (trained_on, other):
        folder.mkdir()
        (folder / "config.json").write_text("{}")
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": str(trained_on)}))
    assert _resolve_base(str(trained_on), adapter) == str(trained_on.resolve())
    assert "another model" not in capsys.readouterr().err
    assert _resolve_base(str(other), adapter) == str(other.resolve())
    assert f"the adapter was trained on {trained_on}" in capsys.readouterr().err
    assert _resolve_base(None, adapter) == str(trained_on)
