"""The journal: answers and quarantine entries, exported views, totals, and the skeleton's
journal files migrated in place."""

import json
import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.llm.journal import Journal

REQUEST = {
    "model": "m",
    "messages": [{"role": "user", "content": "hi"}],
    "template_version": "t@1",
    "sample_index": 3,
}


def test_answers_quarantine_and_clearing(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.db") as journal:
        journal.record_quarantine("k1", REQUEST, "http_503: busy", 4, reason="http_503")
        assert journal.get("k1").status == "quarantined" and journal.answer("k1") is None
        journal.record_answer(
            "k1",
            REQUEST,
            "hello",
            finish_reason="stop",
            prompt_tokens=3,
            completion_tokens=2,
            latency_s=0.1,
            attempts=1,
            cost_usd=0.5,
        )
        assert journal.get("k1").status == "answered" and journal.counts() == {"answered": 1}
    with Journal(tmp_path / "j.db") as journal:  # reopened: all of it was committed
        entry = journal.answer("k1")
        assert entry.response_text == "hello" and entry.cost_usd == 0.5
        assert journal.totals() == {
            "answered": 1,
            "prompt_tokens": 3,
            "completion_tokens": 2,
            "cost_usd": 0.5,
            "cost_known": True,
            "unpriced_tokens": 0,
            "usage_estimated": 0,
            "quarantined_by_reason": {},
        }


def test_exported_rows_carry_the_request_and_its_outcome(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.db") as journal:
        journal.record_answer(
            "a",
            REQUEST,
            "hello",
            finish_reason="stop",
            prompt_tokens=3,
            completion_tokens=2,
            latency_s=0.1,
            attempts=2,
        )
        journal.record_quarantine(
            "q",
            {**REQUEST, "sample_index": 4},
            "schema_mismatch: count",
            3,
            reason="schema_mismatch",
            raw_text='{"x": 1}',
        )
        rows = list(journal.rows())
        assert [r["status"] for r in rows] == ["answered", "quarantined"]
        assert rows[0]["request"]["messages"] == REQUEST["messages"] and rows[0]["sample_index"] == 3
        assert rows[1]["reason"] == "schema_mismatch" and rows[1]["raw_text"] == '{"x": 1}'
        assert [r["key"] for r in journal.rows("quarantined")] == ["q"]


def test_the_skeleton_journal_is_migrated_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as conn:  # the walking skeleton's schema and rows
        conn.execute(
            "CREATE TABLE requests (key TEXT PRIMARY KEY, status TEXT NOT NULL CHECK (status IN"
            " ('answered', 'quarantined')), model TEXT NOT NULL, template_version TEXT,"
            " request_json TEXT NOT NULL, response_text TEXT, finish_reason TEXT, prompt_tokens"
            " INTEGER DEFAULT 0, completion_tokens INTEGER DEFAULT 0, latency_s REAL, attempts"
            " INTEGER DEFAULT 1, error TEXT, updated_at REAL NOT NULL)"
        )
        conn.execute(
            "INSERT INTO requests VALUES ('a', 'answered', 'm', 't', ?, 'hi', 'stop', 1, 1, 0.1, 1, NULL, 0)",
            (json.dumps(REQUEST),),
        )
        conn.execute(
            "INSERT INTO requests VALUES ('q', 'quarantined', 'm', 't', ?, NULL, NULL, 0, 0,"
            " NULL, 4, 'http_503: x', 0)",
            (json.dumps(REQUEST),),
        )
    with Journal(path) as journal:
        assert journal.answer("a").response_text == "hi"
        assert journal.get("q").status == "quarantined" and journal.get("q").error == "http_503: x"
        assert journal.counts() == {"answered": 1, "quarantined": 1}
    with Journal(path) as journal:  # idempotent
        assert journal.counts() == {"answered": 1, "quarantined": 1}


def test_cli_stats_and_export(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    with Journal(path) as journal:
        journal.record_answer(
            "a",
            REQUEST,
            "hello",
            finish_reason="stop",
            prompt_tokens=3,
            completion_tokens=2,
            latency_s=0.1,
            attempts=1,
        )
    runner = CliRunner()
    stats = runner.invoke(app, ["llm", "journal", "stats", "--journal", str(path)])
    assert stats.exit_code == 0 and json.loads(stats.output)["answered"] == 1
    out = tmp_path / "out.jsonl"
    export = runner.invoke(app, ["llm", "journal", "export", "--journal", str(path), "--out", str(out)])
    assert export.exit_code == 0 and json.loads(out.read_text())["response_text"] == "hello"
    missing = runner.invoke(app, ["llm", "journal", "stats", "--journal", str(tmp_path / "none.db")])
    assert missing.exit_code == 2 and "none.db" in missing.output
    bad = runner.invoke(
        app,
        [
            "llm",
            "journal",
            "export",
            "--journal",
            str(path),
            "--out",
            str(tmp_path / "x.jsonl"),
            "--status",
            "lost",
        ],
    )
    assert bad.exit_code == 2 and not (tmp_path / "x.jsonl").exists()


def test_a_file_that_is_not_a_journal_is_named_and_left_as_it_is(tmp_path: Path) -> None:
    other = tmp_path / "records.jsonl"
    other.write_text('{"instruction": "x"}\n' * 200, encoding="utf-8")
    before = other.read_bytes()
    for command in (["stats"], ["export", "--out", str(tmp_path / "rows.jsonl")]):
        result = CliRunner().invoke(app, ["llm", "journal", *command, "--journal", str(other)])
        assert result.exit_code == 2, result.output
        assert (
            f"{other}: not a seedforge request journal (SQLite says: file is not a database)" in result.output
        )
    assert other.read_bytes() == before and not (tmp_path / "rows.jsonl").exists()


def test_an_answer_clears_a_quarantine_another_process_wrote_after_this_one_opened(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    with Journal(path) as here, Journal(path) as elsewhere:
        elsewhere.record_quarantine("K", {"model": "m"}, "http_500: boom", 4, reason="http_500")
        here.record_answer(
            "K", {"model": "m"}, "the answer", finish_reason="stop",
            prompt_tokens=1, completion_tokens=1, latency_s=0.1, attempts=1,
        )  # fmt: skip
        here.clear_quarantine("K")  # what the client does with a usable answer
        entry = here.get("K")
        counts = here.counts()
    assert entry is not None and entry.status == "answered"
    assert counts.get("quarantined", 0) == 0
