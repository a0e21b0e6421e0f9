"""A build killed mid-generation (kill -9 of the whole process group) and rerun from the same
parameters completes with no record lost or duplicated and no answered request re-sent.

The model is a scripted OpenAI-compatible server (a failure test): it answers every request
deterministically from its content, so two runs can be compared record by record."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.fault_server import FaultServer
from tests.support.prefect_server import PrefectServer
from tests.support.scripted_model import scripted_model

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


def build_config(path: Path, base_url: str) -> Path:
    path.write_text(
        "name: killtest\n"
        f"llm: {{base_url: '{base_url}', model: scripted, concurrency: 2, max_tokens: 200}}\n"
        f"generate: {{seeds: '{REPO / 'seeds' / 'seed_tasks_en.jsonl'}', target: 16, max_requests: 400}}\n"
        "exports: [jsonl]\n",
        encoding="utf-8",
    )
    return path


def start_build(config: Path, data: Path, server: PrefectServer) -> subprocess.Popen:
    # against the running server a scheduled build would use (an ephemeral one per run costs
    # a server start each)
    env = server.client_env(SEEDFORGE_DATA_DIR=str(data), OPENAI_API_KEY="not-needed")
    log = open(data / "build.log", "ab")
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "build", str(config)],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def answered_in_journal(data: Path) -> list[dict[str, Any]]:
    path = data / "journal.sqlite3"
    if not path.exists():
        return []
    with sqlite3.connect(path, timeout=30) as conn:
        try:
            rows = conn.execute("SELECT request_json FROM requests WHERE status = 'answered'").fetchall()
        except sqlite3.OperationalError:
            return []
    return [json.loads(row[0]) for row in rows]


def kept_ids(data: Path) -> list[str]:
    version = sorted((data / "datasets" / "killtest").glob("v*"))[-1]
    ids = []
    for split in ("train.jsonl", "heldout.jsonl"):
        ids += [json.loads(line)["id"] for line in (version / split).read_text().splitlines()]
    return ids


def request_key(request: dict[str, Any]) -> str:
    """Messages and seed: what the client asks, comparable between a body and a journal row."""
    return json.dumps([request.get("messages"), request.get("seed")], sort_keys=True, ensure_ascii=False)


def test_killed_build_resumes_without_loss_duplicates_or_resending(
    tmp_path: Path, shared_prefect_server: PrefectServer
) -> None:
    with FaultServer(responder=scripted_model, latency_s=0.02) as reference:
        data = tmp_path / "uninterrupted"
        data.mkdir()
        build = start_build(
            build_config(tmp_path / "a.yaml", reference.base_url), data, shared_prefect_server
        )
        assert build.wait(timeout=400) == 0, (data / "build.log").read_text()[-3000:]
        expected = kept_ids(data)
    assert len(expected) >= 16 and len(set(expected)) == len(expected)

    with FaultServer(responder=scripted_model, latency_s=0.15) as server:
        data = tmp_path / "killed"
        data.mkdir()
        config = build_config(tmp_path / "b.yaml", server.base_url)
        build = start_build(config, data, shared_prefect_server)
        deadline = time.monotonic() + 300
        while len(answered_in_journal(data)) < 8:
            assert build.poll() is None, "the build finished before it could be killed"
            assert time.monotonic() < deadline, (data / "build.log").read_text()[-3000:]
            time.sleep(0.1)
        os.killpg(build.pid, signal.SIGKILL)
        build.wait()
        journaled = {request_key(r) for r in answered_in_journal(data)}
        received_before_kill = len(server.received)

        rerun = start_build(config, data, shared_prefect_server)
        assert rerun.wait(timeout=400) == 0, (data / "build.log").read_text()[-3000:]
        resent = [r for r in server.received[received_before_kill:] if request_key(r.body) in journaled]
        assert not resent, f"{len(resent)} journaled requests were sent again"
        assert kept_ids(data) == expected
        # the rerun was the killed build, resumed: one build, finished on its second run
        states = [
            json.loads(p.read_text()) for p in (data / "datasets" / "killtest" / "builds").glob("*.json")
        ]
        assert [(s["number"], s["status"], s["runs"]) for s in states] == [(1, "finished", 2)]
        manifest = json.loads((data / "datasets" / "killtest" / "v0001" / "manifest.json").read_text())
        assert manifest["build"] == states[0]["id"] and manifest["parent"] is None
