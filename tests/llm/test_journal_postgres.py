"""The journal on a real PostgreSQL 15 server: answers committed and kept across opens, the same
exported rows and totals as SQLite, two worker processes sending each request once (counted at
the server), a killed worker's leases expiring and taken over, and bad input refused at open."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

from pipeline.errors import EndpointError
from pipeline.llm.journal import Journal
from pipeline.llm.journal_location import open_journal
from pipeline.llm.journal_postgres import PostgresJournal
from tests.support.fault_server import FaultServer
from tests.support.faults import hang
from tests.support.journal_worker import CONCURRENCY
from tests.support.postgres_server import PostgresServer

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
N = 20
REQUEST = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "template_version": "t@1"}


def fill(journal: Any) -> None:
    journal.record_quarantine("q", REQUEST, "http_503: busy", 4, reason="http_503")
    journal.record_quarantine("a", REQUEST, "timeout", 2, reason="timeout")
    journal.record_answer(
        "a", REQUEST, "hello", finish_reason="stop", prompt_tokens=3, completion_tokens=2,
        latency_s=0.1, attempts=1, cost_usd=None, usage_estimated=True,
    )  # fmt: skip


def without_times(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in row.items() if k != "updated_at"} for row in rows]


def test_answers_survive_reopening_and_read_as_sqlite_does(postgres_url: str, tmp_path: Path) -> None:
    with open_journal(postgres_url) as journal:
        assert isinstance(journal, PostgresJournal) and "***" in journal.location
        fill(journal)
    with open_journal(postgres_url) as journal, Journal(tmp_path / "j.db") as local:
        fill(local)
        entry = journal.get("a")
        assert entry is not None and entry.status == "answered" and entry.response_text == "hello"
        assert entry.cost_usd is None and entry.usage_estimated
        quarantined = journal.get("q")
        assert quarantined is not None and quarantined.reason == "http_503" and quarantined.attempts == 4
        assert journal.counts() == local.counts() == {"answered": 1, "quarantined": 1}
        assert journal.totals() == local.totals()
        assert journal.totals()["unpriced_tokens"] == 5 and not journal.totals()["cost_known"]
        assert without_times(list(journal.rows())) == without_times(list(local.rows()))


def start_worker(base_url: str, location: str, lease_s: float = 120.0) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.journal_worker", base_url, location, str(N)],
        cwd=REPO,
        env=dict(os.environ, SEEDFORGE_JOURNAL_LEASE_S=str(lease_s)),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    return process


def go(process: subprocess.Popen[str]) -> None:
    assert process.stdin is not None
    process.stdin.write("\n")
    process.stdin.flush()


def finish(process: subprocess.Popen[str]) -> dict[str, Any]:
    out, _ = process.communicate(timeout=60)
    assert process.returncode == 0
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_two_worker_processes_send_each_request_once(backend: str, postgres_url: str, tmp_path: Path) -> None:
    location = postgres_url if backend == "postgresql" else str(tmp_path / "shared.sqlite3")
    with FaultServer(latency_s=0.3) as server:
        workers = [start_worker(server.base_url, location) for _ in range(2)]
        for worker in workers:
            go(worker)  # both ready: they ask at the same moment
        results = [finish(worker) for worker in workers]
        counts = server.answered_counts()
    assert len(counts) == N and set(counts.values()) == {1}, counts  # each body sent once
    assert [r["ok"] for r in results] == [N, N] and results[0]["texts"] == results[1]["texts"]
    sent = [r["sent"] for r in results]
    assert sum(sent) == N
    # and they split the work: a worker leases only what its window lets it send now (when
    # each leased every request before admission, one sent 19 or 20 and the other 0 or 1)
    assert min(sent) >= N // 5, sent
    with open_journal(location) as journal:
        assert journal.counts() == {"answered": N}


def live_leases(url: str) -> list[tuple[str, float]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT owner, expires_at - extract(epoch FROM clock_timestamp()) FROM journal_leases"
        ).fetchall()
    return [(owner, float(left)) for owner, left in rows]


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_a_usable_answer_clears_a_quarantine_another_worker_wrote_later(
    backend: str, postgres_url: str, tmp_path: Path
) -> None:
    """A replayed answer checked usable, after another worker quarantined the same request
    since this one opened the journal: the quarantine goes (it is not in this worker's set)."""
    location = postgres_url if backend == "postgresql" else str(tmp_path / "shared.sqlite3")
    with open_journal(location) as here, open_journal(location) as elsewhere:
        here.record_answer(
            "k", REQUEST, "usable", finish_reason="stop", prompt_tokens=1, completion_tokens=1,
            latency_s=0.1, attempts=1,
        )  # fmt: skip
        elsewhere.record_quarantine("k", REQUEST, "bad_json: unusable", 1, reason="bad_json")
        here.clear_quarantine("k")
        entry = here.get("k")
        assert entry is not None and entry.status == "answered"


def test_a_killed_workers_leases_expire_and_another_worker_finishes(postgres_url: str) -> None:
    lease_s = 1.5
    # the first worker's first requests hang: it is killed while they are in flight
    with FaultServer([hang(60)] * 4, latency_s=0.02) as server:
        doomed = start_worker(server.base_url, postgres_url, lease_s)
        go(doomed)
        deadline = time.monotonic() + 20
        while len(server.received) < 4:
            assert time.monotonic() < deadline and doomed.poll() is None
            time.sleep(0.05)
        time.sleep(lease_s * 1.4)  # past a lease's first life: renewed while in flight
        held = live_leases(postgres_url)
        # leased: the requests in flight (its window), not the ones still queued behind them
        assert len(held) == CONCURRENCY and len({owner for owner, _ in held}) == 1
        assert all(left > 0 for _, left in held)
        os.kill(doomed.pid, signal.SIGKILL)
        doomed.wait()
        # as if it ran on another machine: its leases must expire (one of this machine's dead
        # processes is taken over at once, tests/llm/test_resume.py)
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute("UPDATE journal_leases SET owner = 'elsewhere/' || owner")
        started = time.monotonic()
        survivor = start_worker(server.base_url, postgres_url, lease_s)
        go(survivor)
        result = finish(survivor)
        took = time.monotonic() - started
        counts = server.answered_counts()
    assert result["ok"] == N and result["sent"] == N  # it did the dead worker's work
    assert len(counts) == N and set(counts.values()) == {1}
    assert took < 30 and live_leases(postgres_url) == []


def test_bad_credentials_and_a_missing_database_are_refused_at_open(postgres: PostgresServer) -> None:
    for url, expected in (
        (postgres.url(password="not-the-password"), "authentication failed"),
        (postgres.url(database="no_such_db"), "the database does not exist"),
    ):
        with pytest.raises(EndpointError, match=expected) as caught:
            open_journal(url)
        message = str(caught.value)
        assert "not-the-password" not in message and "pg-test-secret" not in message
        assert f"127.0.0.1:{postgres.port}" in message and "SEEDFORGE_JOURNAL_URL" in message
