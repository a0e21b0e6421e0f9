"""`seedforge review`: a decision file (or the terminal) turns into the next version; a file for
another version, an unknown record or the same decisions twice are refused with nothing
written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

from pipeline.cli import app
from tests.build.conftest import build_config, quiet_build, read_split
from tests.support.fault_server import FaultServer

runner = CliRunner()


def published(server: FaultServer) -> Path:
    built = quiet_build(build_config(server.base_url, name="cli"))
    return built.publication.version.path


def write_decisions(path: Path, **content: Any) -> Path:
    path.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    return path


def test_a_decision_file_makes_the_next_version(server: FaultServer, data_dir: Path, tmp_path: Path) -> None:
    from pipeline.review.version import open_review

    v1 = published(server)
    sample = [item.record for item in open_review("cli@v1", 3).sample]
    assert len(sample) == 3
    decisions = write_decisions(
        tmp_path / "decisions.yaml",
        dataset="cli",
        version=1,
        reviewer="ann",
        approve_rest=True,
        decisions=[
            {"id": sample[0].id, "verdict": "reject", "reason": "duplicate", "note": "same as another"},
            {"id": sample[1].id, "verdict": "edit", "output": "A better answer."},
        ],
    )
    result = runner.invoke(app, ["review", "cli@v1", "--sample", "3", "--decisions", str(decisions)])
    assert result.exit_code == 0, result.output
    v2 = v1.parent / "v0002"
    assert str(v2) in result.output and "accepted 1, rejected 1, edited 1" in result.output
    manifest = json.loads((v2 / "manifest.json").read_text())
    assert manifest["parent"] == 1 and manifest["review"]["reviewer"] == "ann"
    assert manifest["review"]["source"] == "file" and manifest["review"]["reviewed_version"] == 1
    assert manifest["review"]["accepted"] == [sample[2].id]
    rows = {r["id"]: r for split in ("train", "heldout") for r in read_split(v2, split)}
    assert sample[0].id not in rows and sample[1].id not in rows and sample[2].id in rows
    assert [r["output"] for r in rows.values() if r["lineage"].get("edit")] == ["A better answer."]
    rejected = [json.loads(line) for line in (v2 / "rejected.jsonl").read_text().splitlines()]
    human = [r for r in rejected if r["reason"] == "human_rejected"]
    assert [(r["record"]["id"], r["evidence"]["review_reason"]) for r in human] == [
        (sample[0].id, "duplicate")
    ]
    assert len(rejected) == len((v1 / "rejected.jsonl").read_text().splitlines()) + 1
    index = json.loads((data_dir / "index" / "cli" / "index.json").read_text())
    segment = index["builds"][-1]
    assert segment["name"].startswith("review-") and segment["entries"] == 2  # rejected + edited

    # the same file again: refused, nothing written
    again = runner.invoke(app, ["review", "cli@v1", "--sample", "3", "--decisions", str(decisions)])
    assert again.exit_code == 2 and "applied already" in again.output, again.output
    assert not (v1.parent / "v0003").exists()

    # the sample of a later review leaves out what was reviewed
    later = {item.record.id for item in open_review("cli", 20).sample}
    assert not later & {s.id for s in sample} and later


def test_a_file_for_another_version_or_record_is_refused(
    server: FaultServer, data_dir: Path, tmp_path: Path
) -> None:
    from pipeline.review.version import open_review

    v1 = published(server)
    record = open_review("cli", 1).sample[0].record
    other = write_decisions(
        tmp_path / "other.yaml",
        dataset="cli",
        version=2,
        reviewer="ann",
        decisions=[{"id": record.id, "verdict": "accept"}],
    )
    result = runner.invoke(app, ["review", "cli@v1", "--decisions", str(other)])
    assert result.exit_code == 2 and "written for cli@v2, not cli@v1: refused" in result.output
    unknown = write_decisions(
        tmp_path / "unknown.yaml",
        dataset="cli",
        version=1,
        reviewer="ann",
        decisions=[{"id": "0000", "verdict": "accept"}],
    )
    result = runner.invoke(app, ["review", "cli", "--decisions", str(unknown)])
    assert result.exit_code == 2 and "record 0000: no such record" in result.output
    bad = write_decisions(
        tmp_path / "bad.yaml",
        dataset="cli",
        version=1,
        reviewer="ann",
        decisions=[{"id": record.id, "verdict": "maybe"}],
    )
    result = runner.invoke(app, ["review", "cli", "--decisions", str(bad)])
    assert result.exit_code == 2 and "bad.yaml:" in result.output and "verdict" in result.output
    no_reason = write_decisions(
        tmp_path / "no_reason.yaml",
        dataset="cli",
        version=1,
        reviewer="ann",
        decisions=[{"id": record.id, "verdict": "reject"}],
    )
    result = runner.invoke(app, ["review", "cli", "--decisions", str(no_reason)])
    assert result.exit_code == 2 and "a rejection needs a reason" in result.output
    assert sorted(p.name for p in v1.parent.glob("v*")) == ["v0001"]
    assert not (data_dir / "review" / "cli" / "sessions").exists() or not list(
        (data_dir / "review" / "cli" / "sessions").iterdir()
    )


def test_the_terminal_review(server: FaultServer, data_dir: Path) -> None:
    from pipeline.review.version import open_review

    v1 = published(server)
    first, second, third = [item.record for item in open_review("cli", 3).sample]
    keys = "a\nr\n1\nnot true\nA\n"  # accept, reject (wrong_answer, a note), approve the rest
    result = runner.invoke(app, ["review", "cli", "--sample", "3", "--reviewer", "bob"], input=keys)
    assert result.exit_code == 0, result.output
    manifest = json.loads((v1.parent / "v0002" / "manifest.json").read_text())
    review = manifest["review"]
    assert review["reviewer"] == "bob" and review["source"] == "cli"
    assert review["rejected"] == [{"id": second.id, "reason": "wrong_answer", "note": "not true"}]
    assert sorted(review["accepted"]) == sorted([first.id, third.id])


def test_a_file_says_its_version_as_the_command_line_does_and_is_told_to_quote_digit_ids(
    server: FaultServer, data_dir: Path, tmp_path: Path
) -> None:
    from pipeline.review.version import open_review

    v1 = published(server)
    record = open_review("cli", 1).sample[0].record
    digits = tmp_path / "digits.yaml"
    digits.write_text(
        "dataset: cli\nversion: 1\nreviewer: ann\ndecisions:\n  - {id: 0000000000000000, verdict: accept}\n"
    )
    result = runner.invoke(app, ["review", "cli", "--decisions", str(digits)])
    assert result.exit_code == 2 and "digits.yaml:5" in result.output, result.output
    assert "decisions.0.id: Value error, an id is text: quote it" in result.output
    blank = write_decisions(tmp_path / "blank.yaml", dataset="cli", version="v1", reviewer="  ", decisions=[])
    result = runner.invoke(app, ["review", "cli", "--decisions", str(blank)])
    assert result.exit_code == 2 and "reviewer: Value error, the reviewer's name is blank" in result.output
    v_spelled = write_decisions(
        tmp_path / "v.yaml",
        dataset="cli",
        version="V1",
        reviewer="ann",
        decisions=[{"id": record.id, "verdict": "reject", "reason": "other"}],
    )
    result = runner.invoke(app, ["review", "cli", "--decisions", str(v_spelled)])
    assert result.exit_code == 0, result.output
    assert json.loads((v1.parent / "v0002" / "manifest.json").read_text())["review"]["reviewed_version"] == 1


def test_a_reader_that_stops_early_is_no_error(server: FaultServer, data_dir: Path, tmp_path: Path) -> None:
    v1 = published(server)
    record = json.loads((v1 / "train.jsonl").read_text().splitlines()[0])
    decisions = write_decisions(
        tmp_path / "d.yaml",
        dataset="cli",
        version=1,
        reviewer="ann",
        decisions=[{"id": record["id"], "verdict": "reject", "reason": "other"}],
    )
    read_end, write_end = os.pipe()
    os.close(read_end)  # `| head` that has gone already: the first line printed breaks the pipe
    try:
        ran = subprocess.run(
            [sys.executable, "-m", "pipeline.cli", "review", "cli", "--decisions", str(decisions)],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert ran.returncode == 0 and "Traceback" not in ran.stderr, ran.stderr
    assert (v1.parent / "v0002" / "manifest.json").is_file()
