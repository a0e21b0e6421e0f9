"""A run killed with SIGKILL mid-way, then started again: nothing answered is sent twice, and the
records equal those of a run that was never interrupted."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from tests.support.fault_server import FaultServer
from tests.support.faults import FaultMix
from tests.support.resume_worker import CONCURRENCY

REPO = Path(__file__).resolve().parents[2]
N = 150


def worker(server: FaultServer, journal: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.support.resume_worker",
            server.base_url,
            str(journal),
            str(out),
            str(N),
        ],
        cwd=REPO,
    )


def answered_prompts(journal: Path) -> set[str]:
    if not journal.exists():
        return set()
    try:
        with sqlite3.connect(journal, timeout=5) as conn:
            rows = conn.execute("SELECT request_json FROM requests").fetchall()
    except sqlite3.OperationalError:  # the worker is still creating the tables
        return set()
    return {json.loads(row[0])["messages"][0]["content"] for row in rows}


def served_per_prompt(server: FaultServer) -> Counter[str]:
    return Counter(r.body["messages"][0]["content"] for r in server.received if r.answered)


def test_kill_minus_9_mid_run_then_resume(tmp_path: Path) -> None:
    journal, out = tmp_path / "journal.sqlite3", tmp_path / "records.jsonl"
    faults = FaultMix(rate_429=0.1, rate_500=0.05, retry_after_s=0.01, seed=11)
    with FaultServer(policy=faults, latency_s=0.03) as server:
        process = worker(server, journal, out)
        deadline = time.monotonic() + 60
        while len(answered_prompts(journal)) < N // 3:
            assert process.poll() is None, "the worker finished before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.01)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        before_kill = answered_prompts(journal)
        assert N // 3 <= len(before_kill) < N and not out.exists()  # really mid-way

        assert worker(server, journal, out).wait(timeout=120) == 0
        served = served_per_prompt(server)
    # every request answered before the kill was served exactly once over both runs
    assert all(served[prompt] == 1 for prompt in before_kill)
    # only requests in flight at the kill (answers lost with the process) went out again
    twice = {prompt for prompt, count in served.items() if count > 1}
    assert not twice & before_kill and len(twice) <= CONCURRENCY

    uninterrupted = tmp_path / "uninterrupted.jsonl"
    with FaultServer(policy=FaultMix(rate_429=0.1, seed=5), latency_s=0.01) as server:
        assert worker(server, tmp_path / "fresh.sqlite3", uninterrupted).wait(timeout=120) == 0
    resumed = out.read_text(encoding="utf-8").splitlines()
    assert len(resumed) == N and len(set(resumed)) == N  # nothing lost, nothing duplicated
    assert resumed == uninterrupted.read_text(encoding="utf-8").splitlines()
