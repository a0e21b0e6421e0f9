"""`seedforge review` in the terminal: how the questions end (q, the end of the input, Ctrl-C)
decides what is applied and the exit code; the reviewer's name is never taken from the piped
answers and never blank; a typed output's escapes."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.errors import SeedforgeError
from pipeline.processes import Terminated
from pipeline.review.models import Submission
from pipeline.review.terminal import reviewer_name, typed_output
from tests.build.conftest import read_split
from tests.review.test_command import published
from tests.support.fault_server import FaultServer

runner = CliRunner()


def review(*args: str, keys: str) -> Any:
    return runner.invoke(app, ["review", "cli", "--sample", "3", *args], input=keys)


def manifest_of(version: Path) -> dict[str, Any]:
    return json.loads((version / "manifest.json").read_text())


def record_count(version: Path) -> int:
    return len(read_split(version, "train")) + len(read_split(version, "heldout"))


def test_the_end_of_the_input_stops_like_q_and_applies_what_was_decided(
    server: FaultServer, data_dir: Path
) -> None:
    v1 = published(server)
    result = review("--reviewer", "joe", keys="r\n1\nnot true\na\n")  # then the input runs out
    assert result.exit_code == 0, result.output
    assert "end of input: stopped asking after 2 decision(s)" in result.output
    review_of_v2 = manifest_of(v1.parent / "v0002")["review"]
    assert review_of_v2["reviewer"] == "joe" and len(review_of_v2["accepted"]) == 1
    assert len(review_of_v2["rejected"]) == 1 and len(review_of_v2["undecided"]) == 1


def test_undecided_records_are_not_counted_again_as_never_reviewed(
    server: FaultServer, data_dir: Path
) -> None:
    v1 = published(server)
    rest = record_count(v1) - 3  # the 3 sampled: 1 accepted, 2 undecided
    result = review("--reviewer", "joe", keys="a\nq\n")
    assert result.exit_code == 0, result.output
    assert f"undecided 2; {rest} records never reviewed" in result.output
    assert f"| not reviewed (rest of the build) | {rest} |" in result.output


@pytest.mark.parametrize("keys", ["q\n", ""])
def test_stopping_before_any_decision_is_no_error(server: FaultServer, data_dir: Path, keys: str) -> None:
    v1 = published(server)
    result = review("--reviewer", "joe", keys=keys)
    assert result.exit_code == 0, result.output
    assert "cli@v1: nothing decided, nothing applied" in result.stdout
    assert not (v1.parent / "v0002").exists() and not (data_dir / "review" / "cli" / "sessions").exists()


def test_piped_answers_are_never_taken_for_the_name(
    server: FaultServer, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    v1 = published(server)
    monkeypatch.delenv("USER", raising=False)
    result = review(keys="a\na\n")
    assert result.exit_code == 2, result.output
    assert "no reviewer's name: pass --reviewer NAME" in result.output
    assert not (v1.parent / "v0002").exists()


def test_a_blank_name_is_refused(
    server: FaultServer, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    v1 = published(server)
    result = review("--reviewer", "  ", keys="r\n1\n\n")
    assert result.exit_code == 2 and "the reviewer's name is blank" in result.output, result.output
    monkeypatch.setattr("pipeline.review.terminal.Prompt.ask", lambda *args, **kwargs: "   ")
    with pytest.raises(SeedforgeError, match="blank"):
        reviewer_name(None, None, can_ask=True)
    with pytest.raises(ValidationError, match="blank"):
        Submission(reviewer=" \t")
    assert Submission(reviewer=" ann ").reviewer == "ann"
    assert not (v1.parent / "v0002").exists()


class Interrupted:
    """rich's Prompt answering `answers` in turn, then raising what the signal handler raises
    in the middle of input(): KeyboardInterrupt for Ctrl-C, Terminated for SIGTERM/SIGHUP."""

    answers: Iterator[str] = iter(())
    interrupt: KeyboardInterrupt = KeyboardInterrupt()

    @classmethod
    def ask(cls, *args: Any, **kwargs: Any) -> str:
        answer = next(cls.answers, None)
        if answer is None:
            raise cls.interrupt
        return answer


def test_ctrl_c_applies_what_was_decided_and_exits_130(
    server: FaultServer, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    v1 = published(server)
    monkeypatch.setattr("pipeline.review.terminal.Prompt", Interrupted)
    Interrupted.answers = iter(["r", "2", "vague", "r"])  # the second rejection is cut short
    result = review("--reviewer", "joe", keys="")
    assert result.exit_code == 130, result.output
    assert "interrupted: the decisions made before it are applied" in result.output
    rejected = manifest_of(v1.parent / "v0002")["review"]["rejected"]
    assert [(r["reason"], r["note"]) for r in rejected] == [("unhelpful", "vague")]

    Interrupted.answers, Interrupted.interrupt = iter(()), Terminated(signal.SIGHUP)
    result = review("--reviewer", "joe", keys="")
    assert result.exit_code == 129 and "nothing decided, nothing applied" in result.output
    assert not (v1.parent / "v0003").exists()


def test_an_edit_types_line_breaks_and_backslashes(server: FaultServer, data_dir: Path) -> None:
    v1 = published(server)
    typed = 'print("a\\\\n")\\nprint(1)'  # as typed: print("a\\n")\nprint(1)
    result = review("--reviewer", "joe", keys=f"e\n{typed}\nfixed\nq\n")
    assert result.exit_code == 0, result.output
    rows = [row for split in ("train", "heldout") for row in read_split(v1.parent / "v0002", split)]
    assert [row["output"] for row in rows if row["lineage"].get("edit")] == ['print("a\\n")\nprint(1)']


def test_typed_output_escapes() -> None:
    assert typed_output("one\\ntwo") == "one\ntwo"
    assert typed_output("a\\\\nb") == "a\\nb"  # \\n: a backslash, then n
    assert typed_output("C:\\\\dir \\q") == "C:\\dir \\q"  # a lone backslash stays as typed
