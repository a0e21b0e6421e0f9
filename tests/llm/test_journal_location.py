"""Where the journal lives (a path, sqlite:///, postgresql://), how it is shown (password
masked), the factory every stage opens it with, and the SQLite journal's leases: two clients
sharing one journal never send one request twice."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from pipeline.errors import EndpointError, SeedforgeError
from pipeline.llm.client import ChatRequest
from pipeline.llm.config import LLMConfig
from pipeline.llm.endpoint import Endpoint, run_requests
from pipeline.llm.journal import Journal
from pipeline.llm.journal_api import lease_owner, owner_gone
from pipeline.llm.journal_location import open_journal, parse_journal_location, shown_location
from tests.support.fault_server import FaultServer
from tests.support.redis_server import free_port


def test_paths_and_sqlite_urls_name_a_sqlite_file(tmp_path: Path) -> None:
    assert parse_journal_location(tmp_path / "a.db").path == tmp_path / "a.db"
    assert parse_journal_location("rel/j.sqlite3").path == Path("rel/j.sqlite3")
    assert parse_journal_location(f"sqlite:///{tmp_path}/b.db").path == tmp_path / "b.db"
    for location in ("sqlite://", "sqlite:///"):
        with pytest.raises(SeedforgeError, match="needs a file"):
            parse_journal_location(location)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://bob:s3cr%40t@db:5433/jobs", "postgresql://bob:***@db:5433/jobs"),
        ("postgresql+psycopg://bob:pw@db/jobs", "postgresql+psycopg://bob:***@db/jobs"),
        ("postgres://bob:pw@db/jobs", "postgres://bob:***@db/jobs"),
        ("postgresql://bob@db/jobs", "postgresql://bob@db/jobs"),
    ],
)
def test_postgres_urls_use_psycopg_and_are_shown_masked(url: str, shown: str) -> None:
    where = parse_journal_location(url)
    assert where.kind == "postgresql" and where.shown == shown
    assert where.url is not None and where.url.startswith("postgresql+psycopg://bob")
    assert shown_location(url) == shown


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mysql://bob:hunter2@db/jobs", "unknown journal scheme 'mysql'"),
        ("redis://:hunter2@db:6379/0", "unknown journal scheme 'redis'"),
        ("postgresql+asyncpg://bob:hunter2@db/jobs", "unknown journal scheme 'postgresql+asyncpg'"),
        ("postgresql://bob:hunter2@/jobs", "names no host"),
        ("postgresql://bob:hunter2@db", "names no database"),
        ("   ", "empty"),
    ],
)
def test_bad_locations_say_what_was_expected_without_the_password(url: str, expected: str) -> None:
    with pytest.raises(SeedforgeError, match=re.escape(expected)) as caught:
        open_journal(url)
    assert "hunter2" not in str(caught.value)
    assert "postgresql://USER:PASSWORD@HOST:PORT/DATABASE" in str(caught.value)


def test_an_unreachable_server_fails_at_open_naming_the_masked_url() -> None:
    url = f"postgresql://bob:hunter2@127.0.0.1:{free_port()}/jobs"
    started = time.monotonic()
    with pytest.raises(EndpointError, match="connection refused") as caught:
        open_journal(url)
    assert time.monotonic() - started < 10
    message = str(caught.value)
    assert "hunter2" not in message and "bob:***@127.0.0.1" in message


def test_the_factory_defaults_to_the_data_dir_file_and_follows_the_environment(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_journal() as journal:
        assert isinstance(journal, Journal) and journal.path == data_dir / "journal.sqlite3"
        assert journal.lease_s == 120.0
    monkeypatch.setenv("SEEDFORGE_JOURNAL_URL", f"sqlite:///{tmp_path}/elsewhere.db")
    monkeypatch.setenv("SEEDFORGE_JOURNAL_LEASE_S", "7.5")
    with open_journal() as journal:
        assert isinstance(journal, Journal) and journal.path == tmp_path / "elsewhere.db"
        assert journal.lease_s == 7.5
    with open_journal(tmp_path / "given.db") as journal:  # a stage's own path wins
        assert journal.location == str(tmp_path / "given.db")
    monkeypatch.setenv("SEEDFORGE_JOURNAL_URL", "mongodb://x@h/db")
    with pytest.raises(SeedforgeError, match="unknown journal scheme 'mongodb'"):
        open_journal()


def test_sqlite_leases_exclude_others_until_released_or_expired(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.db", lease_s=0.3) as one, Journal(tmp_path / "j.db", lease_s=0.3) as two:
        assert one.take_lease("k", "a") and one.take_lease("k", "a")  # its own again
        assert not two.take_lease("k", "b")
        one.release_lease("k", "b")  # not b's to release
        assert not two.take_lease("k", "b")
        time.sleep(0.2)
        one.renew_leases("a")
        time.sleep(0.2)  # past the first expiry, not past the renewed one
        assert not two.take_lease("k", "b")
        time.sleep(0.2)
        assert two.take_lease("k", "b") and not one.take_lease("k", "a")  # expired: taken over
        two.release_lease("k", "b")
        assert one.take_lease("k", "a")


def test_a_lease_of_a_dead_process_on_this_machine_is_taken_over_at_once(tmp_path: Path) -> None:
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True)
    dead = f"{socket.gethostname()}/{int(finished.stdout)}/abc"
    alive = f"{socket.gethostname()}/{os.getppid()}/abc"
    assert owner_gone(dead) and not owner_gone(alive) and not owner_gone(lease_owner())
    assert not owner_gone(f"another-host/{int(finished.stdout)}/abc")  # it may live there
    with Journal(tmp_path / "j.db", lease_s=60) as journal:
        for holder in (dead, alive, "another-host/1/abc"):
            assert journal.take_lease(holder, holder)
        mine = lease_owner()
        assert journal.take_lease(dead, mine)
        assert not journal.take_lease(alive, mine) and not journal.take_lease("another-host/1/abc", mine)


def test_two_clients_in_one_process_send_each_request_once(tmp_path: Path) -> None:
    """Two batches of the same requests at once, each with its own client and event loop (as
    Prefect's thread pool runs tasks): the second waits for the first's answers."""
    requests = [ChatRequest(messages=[{"role": "user", "content": f"q{i}"}]) for i in range(12)]
    outcomes: list[tuple[list, object]] = []
    with FaultServer(latency_s=0.05) as server, Journal(tmp_path / "j.db") as journal:
        config = LLMConfig(base_url=server.base_url, model="m", concurrency=4, max_concurrency=4)
        endpoint = Endpoint(server.base_url, "k", "m", embedded=False)

        def batch() -> None:
            outcomes.append(run_requests(endpoint, config, journal, requests))

        threads = [threading.Thread(target=batch) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        counts = server.answered_counts()
    assert len(outcomes) == 2 and all(r.ok for results, _ in outcomes for r in results)
    assert len(counts) == 12 and set(counts.values()) == {1}
    assert sum(stats.sent for _, stats in outcomes) == 12  # type: ignore[attr-defined]
    first, second = ([r.text for r in results] for results, _ in outcomes)
    assert first == second
