import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from pipeline.cli import app

runner = CliRunner()


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("demo", "run", "llm"):
        assert command in result.output


def test_help_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys; from pipeline.cli import app; "
        "print(sorted(m for m in ('torch', 'transformers', 'prefect') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_bad_config_exits_non_zero_naming_file_and_line(tmp_path: Path, data_dir: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("name: x\ngenerate:\n  target: zero\n", encoding="utf-8")
    result = runner.invoke(app, ["run", str(config)])
    assert result.exit_code == 2
    assert f"{config}:3" in result.output and "generate.target" in result.output
    assert not data_dir.exists() or not any(data_dir.rglob("*.jsonl"))


def test_malformed_seed_file_exits_non_zero_before_any_work(tmp_path: Path, data_dir: Path) -> None:
    seeds = tmp_path / "seeds.jsonl"
    seeds.write_text('{"id": "a"}\n', encoding="utf-8")
    config = tmp_path / "run.yaml"
    config.write_text(f"name: x\ngenerate:\n  seeds: {seeds}\n", encoding="utf-8")
    result = runner.invoke(app, ["run", str(config)])
    assert result.exit_code == 2
    assert f"{seeds}:1" in result.output
    assert not data_dir.exists() or not any(data_dir.iterdir())
