"""`seedforge score` end to end against a scripted judge: outputs written together, a rerun
answered from the journal, and bad input stopping with exit 2 before anything is written."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from tests.score.judges import judge_server, reply
from tests.score.test_rubric import GOOD as GOOD_RUBRIC
from tests.support.fault_server import FaultServer

runner = CliRunner()

LINES = [
    {"instruction": "Write a haiku about rain.", "input": "", "output": "GRADE5 Soft rain on the roof."},
    {"instruction": "Explain gravity.", "input": "", "output": "GRADE1 Bananas."},
    {"instruction": "List two colours.", "input": "", "output": "UNREADABLE red and blue"},
    {"messages": [{"role": "user", "content": "Hi?"}, {"role": "assistant", "content": "GRADE4 Hello."}]},
]


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "records.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in LINES), encoding="utf-8")
    return path


@pytest.fixture
def judge() -> Iterator[FaultServer]:
    with judge_server() as server:
        yield server


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_scores_a_file_and_a_rerun_replays_from_the_journal(
    source: Path, tmp_path: Path, data_dir: Path, judge: FaultServer
) -> None:
    out = tmp_path / "out" / "scored.jsonl"
    args = ["score", str(source), "--out", str(out), "--base-url", judge.base_url, "--model", "m"]
    result = runner.invoke(app, [*args, "--consistency-sample", "2"])
    assert result.exit_code == 0, result.output
    assert "probe scored 5" in result.output and "1 unscored (kept)" in result.output

    kept = read_jsonl(out)
    assert [row.get("instruction") for row in kept] == [
        "Write a haiku about rain.",
        "List two colours.",
        None,
    ]
    assert [row["lineage"]["quality"] and row["lineage"]["quality"]["score"] for row in kept] == [5, None, 4]
    assert kept[0]["lineage"]["quality"] == {
        "score": 5,
        "reason": "graded 5",
        "judge": "m",
        "rubric": "seedforge-quality@1",
    }
    (rejected,) = read_jsonl(out.with_name("scored.rejected.jsonl"))
    assert rejected["step"] == "score" and rejected["reason"] == "low_quality_score"
    assert rejected["evidence"]["score"] == 1 and rejected["evidence"]["min_score"] == 3
    assert rejected["record"]["instruction"] == "Explain gravity."
    assert "## Quality scores" in out.with_name("scored.report.md").read_text(encoding="utf-8")
    report = json.loads(out.with_name("scored.report.json").read_text(encoding="utf-8"))
    assert report["records_in"] == 4 and report["probe"]["score"] == 5
    assert report["unscored"] == {"unparseable": 1} and report["consistency"]["sampled"] == 2
    assert (data_dir / "journal.sqlite3").is_file()

    sent = len(judge.received)
    again = runner.invoke(app, [*args, "--consistency-sample", "2"])
    assert again.exit_code == 0, again.output
    assert len(judge.received) == sent + 1  # the probe alone: every score comes from the journal
    scores = [(row["id"], row["lineage"]["quality"]) for row in kept]
    assert [(row["id"], row["lineage"]["quality"]) for row in read_jsonl(out)] == scores


def test_settings_from_a_run_config(source: Path, tmp_path: Path, data_dir: Path, judge: FaultServer) -> None:
    folder = tmp_path / "configs"
    folder.mkdir()
    (folder / "rubric.yaml").write_text(GOOD_RUBRIC, encoding="utf-8")
    config = folder / "run.yaml"
    config.write_text(
        f"name: x\nllm:\n  base_url: {judge.base_url}\n  model: m\n"
        "score:\n  min_score: 5\n  consistency_sample: 0\n  rubric: rubric.yaml\n",
        encoding="utf-8",
    )
    out = tmp_path / "scored.json"
    result = runner.invoke(app, ["score", str(source), "--out", str(out), "--config", str(config)])
    assert result.exit_code == 0, result.output
    kept = json.loads(out.read_text(encoding="utf-8"))  # not .jsonl: one JSON list
    assert [row["lineage"]["quality"] and row["lineage"]["quality"]["rubric"] for row in kept] == [
        "house-style@2",
        None,
    ]
    assert len(read_jsonl(tmp_path / "scored.json.rejected.jsonl")) == 2  # scores 1 and 4 under 5
    prompts = [r.body["messages"][1]["content"] for r in judge.received]
    assert all("Criteria:\n- The instruction is clear.\n" in prompt for prompt in prompts)


def bad_inputs(tmp_path: Path) -> dict[str, tuple[list[str], list[str]]]:
    rubric = tmp_path / "bad-rubric.yaml"
    rubric.write_text(GOOD_RUBRIC.replace("version: 2", "version: 2: 3"), encoding="utf-8")
    config = tmp_path / "bad.yaml"
    config.write_text("name: x\nscore:\n  min_score: 9\n", encoding="utf-8")
    records = tmp_path / "bad.jsonl"
    records.write_text(json.dumps(LINES[0]) + "\n{not json\n", encoding="utf-8")
    return {
        "min-score-7": (["--min-score", "7"], ["--min-score", "less than or equal to 5"]),
        "min-score-0": (["--min-score", "0"], ["--min-score", "greater than or equal to 1"]),
        "rubric": (["--rubric", str(rubric)], [f"{rubric}:2", "not valid YAML"]),
        "config": (["--config", str(config)], [f"{config}:3", "score.min_score"]),
        "records": (["--input-file", str(records)], [f"{records}:2", "not valid JSON"]),
        "judge": (["--judge-says", reply(9)], ["cannot score records", "score 9"]),
    }


def test_outputs_differing_only_in_extension_keep_their_own_reports(
    source: Path, tmp_path: Path, data_dir: Path, judge: FaultServer
) -> None:
    """`--out x.json` and `--out x.jsonl` both wrote x.report.*: the second run replaced the first's."""
    endpoint = ["--base-url", judge.base_url, "--model", "m", "--consistency-sample", "0"]
    for out in (tmp_path / "x.json", tmp_path / "x.jsonl"):
        result = runner.invoke(app, ["score", str(source), "--out", str(out), *endpoint])
        assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.glob("x.*")) == [
        "x.json",
        "x.json.rejected.jsonl",
        "x.json.report.json",
        "x.json.report.md",
        "x.jsonl",
        "x.rejected.jsonl",
        "x.report.json",
        "x.report.md",
    ]


@pytest.mark.parametrize("case", ["min-score-7", "min-score-0", "rubric", "config", "records", "judge"])
def test_bad_input_exits_2_and_writes_nothing(
    source: Path, tmp_path: Path, data_dir: Path, case: str
) -> None:
    options, words = bad_inputs(tmp_path)[case]
    answer = options[1] if options[0] == "--judge-says" else reply(4)
    if options[0] in ("--judge-says", "--input-file"):
        source = Path(options[1]) if options[0] == "--input-file" else source
        options = []
    out = tmp_path / "out" / "scored.jsonl"
    with judge_server(lambda body: answer) as server:
        args = ["score", str(source), "--out", str(out), "--base-url", server.base_url, "--model", "m"]
        result = runner.invoke(app, [*args, *options])
    assert result.exit_code == 2, result.output
    for word in words:
        assert word in result.output
    if case == "judge":
        assert server.base_url in result.output and "(model m)" in result.output
    else:
        assert not server.received  # stopped before any request
    assert not (tmp_path / "out").exists()
    assert not data_dir.exists() or not [p for p in data_dir.rglob("*") if p.is_file()]


def _immutable(folder: Path) -> bool:
    """A folder nobody may write in, root included (root passes mode bits): chattr +i."""
    folder.mkdir()
    done = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, check=False)
    return done.returncode == 0


@pytest.mark.parametrize("case", ["empty", "out-is-a-folder", "out-under-a-file", "unwritable"])
def test_bad_outputs_and_empty_input_stop_before_the_probe(
    source: Path, tmp_path: Path, data_dir: Path, case: str
) -> None:
    out = tmp_path / "scored.jsonl"
    words = ["--out"]
    if case == "empty":
        source = tmp_path / "empty.jsonl"
        source.write_text("", encoding="utf-8")
        words = [str(source), "no records to score"]
    elif case == "out-is-a-folder":
        out.mkdir()
        words += ["is a folder"]
    elif case == "out-under-a-file":
        (tmp_path / "plain").write_text("x", encoding="utf-8")
        out = tmp_path / "plain" / "scored.jsonl"
        words += ["is a file"]
    else:
        if not _immutable(tmp_path / "locked"):
            pytest.skip("chattr +i is not supported on this file system")
        out = tmp_path / "locked" / "scored.jsonl"
        words += ["cannot write in"]
    try:
        with judge_server(lambda body: reply(4)) as server:
            args = ["score", str(source), "--out", str(out), "--base-url", server.base_url, "--model", "m"]
            result = runner.invoke(app, args)
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output
        for word in words:
            assert word in " ".join(result.output.split()), result.output
        assert not server.received  # stopped before the probe
        assert not list(out.parent.glob("scored*.*")) or out.is_dir()
    finally:
        if case == "unwritable":
            subprocess.run(["chattr", "-i", str(tmp_path / "locked")], check=False)


def test_scoring_in_place_replaces_the_input_with_what_goes_on(
    source: Path, tmp_path: Path, data_dir: Path, judge: FaultServer
) -> None:
    """--out may name the input: every record is read before anything is written, atomically."""
    before = len(source.read_text(encoding="utf-8").splitlines())
    args = ["score", str(source), "--out", str(source), "--base-url", judge.base_url, "--model", "m"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    after = read_jsonl(source)
    assert 0 < len(after) < before  # the low-scored record went to the rejected file
    assert all("quality" in row["lineage"] for row in after)
    assert len(read_jsonl(source.with_name(f"{source.stem}.rejected.jsonl"))) == before - len(after)
