"""What every command does alike: the exit codes (2 bad input, 3 endpoint, 4 budget stop), the
output format chosen by the extension, --quiet and --verbose."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.errors import EndpointError, ExitCode, SeedforgeError, exit_code_for
from pipeline.io import RecordWriter, record_format, write_records_atomic
from pipeline.llm import step
from pipeline.llm.failures import LLMEndpointError
from pipeline.llm.journal import Journal
from pipeline.settings import SEEDS_DIR
from tests.generate.self_instruct.fake_llm import FAKE_BASE_URL, FakeLLM, list_the_fake_model
from tests.support.fault_server import Action, FaultServer

runner = CliRunner()
SEEDS = SEEDS_DIR / "seed_tasks_en.jsonl"
FAKE_ENDPOINT = ["--base-url", FAKE_BASE_URL, "--model", "fake-model"]


@pytest.fixture(autouse=True)
def _fake_endpoint_lists_its_model(monkeypatch: pytest.MonkeyPatch) -> None:
    list_the_fake_model(monkeypatch)


RECORDS = [
    {"instruction": "Name three rivers in Africa.", "input": "", "output": "Nile, Congo, Niger."},
    {"instruction": "Explain how a siphon works.", "input": "", "output": "Pressure moves the water."},
]


def _self_instruct(out: Path, n: int, *extra: str) -> list[str]:
    return ["generate", "self-instruct", "--seeds", str(SEEDS), "--n", str(n), "--out", str(out), *extra]


# ---- exit codes ------------------------------------------------------------------------------
def test_exceptions_map_to_their_codes() -> None:
    assert exit_code_for(SeedforgeError("bad")) == ExitCode.BAD_INPUT == 2
    assert exit_code_for(EndpointError("gone")) == ExitCode.ENDPOINT == 3
    assert exit_code_for(LLMEndpointError("HTTP 401")) == 3
    assert exit_code_for(RuntimeError("bug")) == ExitCode.UNEXPECTED == 1
    assert ExitCode.BUDGET_STOP == 4


def test_a_refused_key_exits_3_not_2(tmp_path: Path, data_dir: Path) -> None:
    with FaultServer(default=Action(status=401)) as server:
        result = runner.invoke(
            app, _self_instruct(tmp_path / "out.jsonl", 2, "--base-url", server.base_url, "--model", "m")
        )
    assert result.exit_code == 3, result.output
    assert "HTTP 401 (the API key was refused: check OPENAI_API_KEY)" in " ".join(result.output.split())
    assert not (tmp_path / "out.jsonl").exists()


def test_bad_input_still_exits_2(tmp_path: Path, data_dir: Path) -> None:
    result = runner.invoke(
        app, ["curate", str(tmp_path / "missing.jsonl"), "--out", str(tmp_path / "o.jsonl")]
    )
    assert result.exit_code == 2 and "not found" in result.output


def test_a_budget_stop_short_of_the_target_exits_4_with_its_records_written(
    tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(step, "run_requests", FakeLLM())
    out = tmp_path / "out.jsonl"
    short = runner.invoke(app, _self_instruct(out, 40, "--max-requests", "10", *FAKE_ENDPOINT))
    assert short.exit_code == 4, short.output
    report = json.loads((tmp_path / "out.report.json").read_text(encoding="utf-8"))
    assert report["stop_reason"] == "max_requests" and 0 < report["accepted"] < 40
    assert len(out.read_text(encoding="utf-8").splitlines()) == report["accepted"]  # written whole
    assert "warning: only" in short.output
    monkeypatch.setattr(step, "run_requests", FakeLLM())
    done = runner.invoke(app, _self_instruct(tmp_path / "done.jsonl", 1, *FAKE_ENDPOINT))
    assert done.exit_code == 0, done.output


# ---- output format by extension -----------------------------------------------------------------
def test_the_extension_chooses_the_format() -> None:
    assert record_format("a.json") == "json" and record_format(Path("b.JSONL")) == "jsonl"
    with pytest.raises(SeedforgeError, match=r"not \.txt"):
        record_format("c.txt")
    with pytest.raises(SeedforgeError, match="seedforge export"):
        record_format("d.parquet")


def test_writers_write_what_the_extension_says(tmp_path: Path) -> None:
    assert write_records_atomic(tmp_path / "a.json", RECORDS) == 2
    assert json.loads((tmp_path / "a.json").read_text(encoding="utf-8")) == RECORDS
    write_records_atomic(tmp_path / "b.jsonl", iter(RECORDS))
    lines = (tmp_path / "b.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == RECORDS
    write_records_atomic(tmp_path / "empty.json", [])
    assert json.loads((tmp_path / "empty.json").read_text(encoding="utf-8")) == []
    with pytest.raises(SeedforgeError):
        RecordWriter(open(tmp_path / "x", "w", encoding="utf-8"), tmp_path / "x.csv")


def test_self_instruct_writes_a_json_list_into_a_json_path(
    tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(step, "run_requests", FakeLLM())
    out = tmp_path / "records.json"
    result = runner.invoke(app, _self_instruct(out, 3, *FAKE_ENDPOINT))
    assert result.exit_code == 0, result.output
    records = json.loads(out.read_text(encoding="utf-8"))  # one JSON document: a list
    assert isinstance(records, list) and len(records) == 3 and records[0]["lineage"]["generator"]
    # a .json output's sidecars are named from its whole name: records.jsonl's are records.report.json
    assert (tmp_path / "records.json.report.json").is_file()
    assert (tmp_path / "records.json.rejected.jsonl").is_file()


def test_an_unknown_extension_is_refused_before_any_work(tmp_path: Path, data_dir: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in RECORDS), encoding="utf-8")
    for args in (
        ["curate", str(source), "--out", str(tmp_path / "kept.txt")],
        ["curate", str(source), "--out", str(tmp_path / "kept.json"), "--rejected", str(tmp_path / "r.csv")],
        ["score", str(source), "--out", str(tmp_path / "scored.parquet")],
        _self_instruct(tmp_path / "gen.txt", 1, *FAKE_ENDPOINT),
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and "records are written as .json" in result.output, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]
    assert not data_dir.exists()


def test_curate_rejected_file_follows_its_extension(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in [*RECORDS, RECORDS[0]]), encoding="utf-8")
    rejected = tmp_path / "rejected.json"
    result = runner.invoke(
        app, ["curate", str(source), "--out", str(tmp_path / "kept.jsonl"), "--rejected", str(rejected)]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(rejected.read_text(encoding="utf-8"))
    assert [(r["line"], r["reason"]) for r in rows] == [(3, "exact_duplicate")]


def test_journal_export_follows_the_extension(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    with Journal(path) as journal:
        for key in ("a", "b"):
            journal.record_answer(
                key,
                {"model": "m", "messages": [], "template_version": "t@1", "sample_index": 0},
                "hi",
                finish_reason="stop",
                prompt_tokens=1,
                completion_tokens=1,
                latency_s=0.1,
                attempts=1,
            )
    as_list = runner.invoke(
        app, ["llm", "journal", "export", "--journal", str(path), "--out", str(tmp_path / "rows.json")]
    )
    assert as_list.exit_code == 0, as_list.output
    assert [row["key"] for row in json.loads((tmp_path / "rows.json").read_text(encoding="utf-8"))] == [
        "a",
        "b",
    ]
    wrong = runner.invoke(
        app,
        [
            "llm",
            "journal",
            "export",
            "--journal",
            str(path),
            "--out",
            str(tmp_path / "r.json"),
            "--status",
            "x",
        ],
    )
    assert wrong.exit_code == 2 and "'x' is not one of" in wrong.output


# ---- --quiet and --verbose -------------------------------------------------------------------
def test_quiet_hides_progress_and_info(
    tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(step, "run_requests", FakeLLM())
    with FaultServer() as server:  # serves one model: discovery says so at INFO
        quiet = runner.invoke(
            app, ["--quiet", *_self_instruct(tmp_path / "q.jsonl", 1, "--base-url", server.base_url)]
        )
        loud = runner.invoke(app, _self_instruct(tmp_path / "l.jsonl", 1, "--base-url", server.base_url))
    assert quiet.exit_code == 0 and loud.exit_code == 0, quiet.output + loud.output
    assert "using model 'm'" not in quiet.output and "using model 'm'" in loud.output
    assert "accepted ·" not in quiet.output and "accepted ·" in loud.output  # the progress bar
    assert "acceptance rate" not in quiet.output and "acceptance rate" in loud.output  # the run's table


def test_quiet_turns_progress_lines_off(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from pipeline.report.progress import stage_line

    stats = ["llm", "journal", "stats", "--journal", str(tmp_path / "none.db")]
    runner.invoke(app, ["--quiet", *stats])
    stage_line("x", "hidden line")
    runner.invoke(app, stats)
    stage_line("x", "shown line")
    printed = capsys.readouterr()
    assert "hidden line" not in printed.err and "shown line" in printed.err
    assert printed.out == ""  # progress is not a result: stdout stays for results


def test_verbose_shows_debug_lines(tmp_path: Path) -> None:
    import logging

    runner.invoke(app, ["--verbose", "llm", "journal", "stats", "--journal", str(tmp_path / "none.db")])
    assert logging.getLogger("pipeline").level == logging.DEBUG
    runner.invoke(app, ["llm", "journal", "stats", "--journal", str(tmp_path / "none.db")])
    assert logging.getLogger("pipeline").level == logging.INFO
