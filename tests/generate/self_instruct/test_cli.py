import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.llm import step
from pipeline.settings import SEEDS_DIR
from tests.generate.self_instruct.fake_llm import FAKE_BASE_URL, FakeLLM, list_the_fake_model

runner = CliRunner()
SEEDS = SEEDS_DIR / "seed_tasks_en.jsonl"
FAKE_ENDPOINT = ["--base-url", FAKE_BASE_URL, "--model", "fake-model"]


@pytest.fixture(autouse=True)
def _fake_endpoint_lists_its_model(monkeypatch: pytest.MonkeyPatch) -> None:
    list_the_fake_model(monkeypatch)


def test_help_lists_self_instruct_options() -> None:
    result = runner.invoke(app, ["generate", "self-instruct", "--help"])
    assert result.exit_code == 0
    for option in ("--seeds", "--n", "--out", "--lang", "--base-url", "--model", "--config"):
        assert option in result.output


def test_writes_records_with_lineage_rejected_and_report(
    tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeLLM()
    monkeypatch.setattr(step, "run_requests", fake)
    out = tmp_path / "out" / "records.jsonl"
    result = runner.invoke(
        app,
        ["generate", "self-instruct", "--seeds", str(SEEDS), "--n", "5", "--out", str(out), *FAKE_ENDPOINT],
    )
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 5
    for record in records:
        assert {"instruction", "input", "output", "lineage", "id"} <= set(record)
        assert record["lineage"]["generator"] == "self_instruct"
        assert record["lineage"]["template_version"] and record["lineage"]["request_key"]
    report = json.loads((tmp_path / "out" / "records.report.json").read_text(encoding="utf-8"))
    assert report["accepted"] == 5 and report["requests"]["total"] == len(fake.asked)
    assert set(report) >= {"parse_failures", "instructions", "records", "acceptance_rate", "llm"}
    assert (tmp_path / "out" / "records.rejected.jsonl").exists()


def test_config_file_supplies_generation_settings(
    tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeLLM()
    monkeypatch.setattr(step, "run_requests", fake)
    config = tmp_path / "run.yaml"
    config.write_text(
        "generate:\n  seeds_per_prompt: 3\n  machine_per_prompt: 0\n"
        "  tasks_per_request: 20\n  max_requests: 30\n",
        encoding="utf-8",
    )
    out = tmp_path / "r.jsonl"
    result = runner.invoke(
        app,
        [
            "generate",
            "self-instruct",
            "--seeds",
            str(SEEDS),
            "--n",
            "2",
            "--out",
            str(out),
            "--config",
            str(config),
            *FAKE_ENDPOINT,
        ],
    )
    assert result.exit_code == 0, result.output
    assert fake.asked[0].json_schema["properties"]["instructions"]["maxItems"] == 20


@pytest.mark.parametrize(
    "line",
    [
        '{"id": "a", "name": "b"',
        '{"id": "a", "name": "b", "instruction": "x", "instances": [], "is_classification": false}',
    ],
)
def test_bad_seed_file_names_file_and_line_and_writes_nothing(
    tmp_path: Path, data_dir: Path, line: str
) -> None:
    seeds = tmp_path / "seeds.jsonl"
    seeds.write_text(
        json.dumps(
            {
                "id": "ok",
                "name": "n",
                "instruction": "Name a colour.",
                "instances": [{"input": "", "output": "Blue"}],
                "is_classification": False,
            }
        )
        + "\n"
        + line
        + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    result = runner.invoke(
        app,
        ["generate", "self-instruct", "--seeds", str(seeds), "--n", "3", "--out", str(out), *FAKE_ENDPOINT],
    )
    assert result.exit_code == 2
    assert f"{seeds}:2" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seeds.jsonl"]
    assert not data_dir.exists()


def test_unknown_language_is_an_error_and_writes_nothing(tmp_path: Path, data_dir: Path) -> None:
    out = tmp_path / "out.jsonl"
    result = runner.invoke(
        app,
        [
            "generate",
            "self-instruct",
            "--seeds",
            str(SEEDS),
            "--n",
            "3",
            "--out",
            str(out),
            "--lang",
            "fr",
            *FAKE_ENDPOINT,
        ],
    )
    assert result.exit_code == 2
    assert "'fr' is not one of 'en', 'zh'" in " ".join(result.output.replace("│", " ").split())
    assert not out.exists() and not data_dir.exists()


def test_seeds_in_another_language_draw_a_warning(
    tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(step, "run_requests", FakeLLM())
    result = runner.invoke(
        app,
        [
            "generate",
            "self-instruct",
            "--seeds",
            str(SEEDS),
            "--n",
            "1",
            "--out",
            str(tmp_path / "o.jsonl"),
            "--lang",
            "zh",
            *FAKE_ENDPOINT,
        ],
    )
    assert "warning: --lang zh, but 0% of the seed instructions" in result.output


def test_request_budget_scales_with_n_unless_the_config_sets_it(tmp_path: Path) -> None:
    from pipeline.commands.generate_self_instruct import _settings

    bare = tmp_path / "bare.yaml"
    bare.write_text("llm:\n  max_tokens: 400\n", encoding="utf-8")
    assert _settings(SEEDS, 50, None, None, None, bare, None).generate.max_requests == 600
    assert _settings(SEEDS, 50, None, None, None, None, None).generate.max_requests == 600
    capped = tmp_path / "capped.yaml"
    capped.write_text("generate:\n  max_requests: 70\n", encoding="utf-8")
    assert _settings(SEEDS, 50, None, None, None, capped, None).generate.max_requests == 70
    assert _settings(SEEDS, 50, None, None, None, capped, 99).generate.max_requests == 99
