"""Curation with the per-record half on a Dask cluster gives the single-process result, record
for record; a scheduler that cannot be reached is a clear error with nothing written."""

from __future__ import annotations

import json
import random
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.curate.config import CurateConfig

runner = CliRunner()
LINEAGE = {"generator": "test", "created_at": "2026-01-01T00:00:00+00:00"}
WORDS = (
    "river garden lamp violin copper harbor pencil meadow tunnel falcon orchard canvas glacier "
    "lantern saddle compass thunder velvet marble bakery ladder cactus piano window"
).split()
VERBS = ["Describe", "Explain", "Compare", "Summarize", "Outline", "Recommend"]


def _sentence(rng: random.Random) -> str:
    a, b, c = rng.sample(WORDS, 3)
    return f"The {a} near the {b} is {rng.randint(2, 90)} steps from a {c}."


def _corpus(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """Fresh records and every kind the steps drop: filter hits, refusals, PII (redacted and
    kept), exact repeats, whole-record reposts (MinHash), reworded instructions (ROUGE-L)."""
    rng, items = random.Random(seed), []
    for number in range(count):
        kind = rng.random()
        earlier = rng.choice(items) if items else None
        if earlier is not None and kind < 0.10:
            item = dict(earlier, instruction=earlier["instruction"].upper() + "  ")
        elif earlier is not None and kind < 0.20:
            words = earlier["instruction"].split()
            words[rng.randrange(len(words))] = rng.choice(WORDS)
            item = dict(earlier, instruction=" ".join(words))
        elif earlier is not None and kind < 0.28:
            item = dict(earlier, instruction=earlier["instruction"] + " Please be brief.")
            item["output"] = earlier["output"]
        elif kind < 0.33:
            item = {"instruction": f"Draw an image of a {rng.choice(WORDS)}.", "output": "I drew it."}
        elif kind < 0.37:
            item = {
                "instruction": f"{rng.choice(VERBS)} the {rng.choice(WORDS)} for a child.",
                "output": "I'm sorry, but I can't help with that request.",
            }
        else:
            topic = " ".join(rng.sample(WORDS, rng.randint(5, 8)))
            item = {
                "instruction": f"{rng.choice(VERBS)} how {topic} relate.",
                "output": " ".join(_sentence(rng) for _ in range(rng.randint(2, 4))),
            }
            if kind > 0.95:
                item["input"] = f"Write to jo{number}@example.com or call +1 415 555 01{number % 90:02d}."
        items.append({"input": "", **item})
    return [dict(item, lineage=LINEAGE) for item in items]


def _write(path: Path, items: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(item) + "\n" for item in items), encoding="utf-8")
    return path


def _comparable(summary: dict[str, Any]) -> dict[str, Any]:
    """The report without what differs between any two runs: times, paths, how records were
    prepared."""
    skip = {"finished_at", "seconds_by_step", "preparing", "output", "rejected_file"}
    return {key: value for key, value in summary.items() if key not in skip}


def _same_as_one_process(tmp_path: Path, dask: str) -> None:
    from pipeline.curate.files import curate_file

    source = _write(tmp_path / "in.jsonl", _corpus(400))
    runs = {
        name: curate_file(
            source, tmp_path / f"{name}.jsonl", CurateConfig(), rejected=tmp_path / f"{name}-rej.jsonl", **kw
        )
        for name, kw in (("single", {"jobs": 0}), ("dask", {"dask": dask}))
    }
    single, on_dask = runs["single"], runs["dask"]
    assert on_dask["preparing"]["chunks"] == 2 and on_dask["preparing"]["workers"] == 2
    # the corpus reaches every step, so every step's result is compared
    assert set(single["reasons_by_step"]) == {
        "filters",
        "output_checks",
        "structure",
        "exact",
        "minhash",
        "novelty",
    }
    assert single["pii"]["records_redacted"] > 0 and single["counts"]["kept"] > 100
    assert _comparable(on_dask) == _comparable(single)
    for name in ("{}.jsonl", "{}-rej.jsonl"):
        assert (tmp_path / name.format("dask")).read_bytes() == (
            tmp_path / name.format("single")
        ).read_bytes()
    bad = _write(tmp_path / "bad.jsonl", _corpus(300))
    with bad.open("a", encoding="utf-8") as out:
        out.write(json.dumps({"instruction": "Name three rivers in Europe.", "lineage": LINEAGE}) + "\n")
    result = runner.invoke(app, ["curate", str(bad), "--out", str(tmp_path / "o.jsonl"), "--dask", dask])
    assert result.exit_code == 2, result.output
    assert f"{bad}:301" in result.output and "output: Field required" in result.output
    assert not (tmp_path / "o.jsonl").exists()


@pytest.mark.slow
def test_a_local_cluster_of_two_workers_gives_the_single_process_result(tmp_path: Path) -> None:
    _same_as_one_process(tmp_path, "local:2")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def scheduler() -> Iterator[str]:
    """`dask scheduler` and a `dask worker` of two single-threaded processes, as a user
    starts them; stopped even when the test fails."""
    address = f"tcp://127.0.0.1:{_free_port()}"
    dask = [sys.executable, "-m", "dask"]  # the `dask` command
    started = [
        subprocess.Popen(
            [
                *dask,
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                address.rsplit(":", 1)[1],
                "--no-dashboard",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    try:
        started.append(
            subprocess.Popen(
                [*dask, "worker", address, "--nworkers", "2", "--nthreads", "1", "--no-dashboard"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        from distributed import Client

        with Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=30)
        yield address
    finally:
        for process in reversed(started):
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.mark.slow
def test_a_scheduler_started_apart_gives_the_single_process_result(scheduler: str, tmp_path: Path) -> None:
    _same_as_one_process(tmp_path, scheduler)


def test_an_unreachable_scheduler_is_a_clear_error_and_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.curate import on_dask

    monkeypatch.setattr(on_dask, "CONNECT_SECONDS", 1)
    source = _write(tmp_path / "in.jsonl", _corpus(20))
    out, report = tmp_path / "out.jsonl", tmp_path / "report.json"
    address = f"tcp://127.0.0.1:{_free_port()}"  # nothing listens there
    started = time.monotonic()
    result = runner.invoke(
        app, ["curate", str(source), "--out", str(out), "--report", str(report), "--dask", address]
    )
    assert result.exit_code == 2, result.output
    assert f"dask scheduler {address}: cannot connect within 1 s" in result.output
    assert time.monotonic() - started < 15
    assert not out.exists() and not report.exists()
    for option, expected in (
        (["--dask", "local:none"], "--dask local:none: expected local, local:N"),
        (["--dask", "host:8786"], "--dask host:8786: expected local, local:N or a scheduler address"),
        (["--dask", "local", "--jobs", "2"], "--jobs 2 and --dask local: choose one"),
    ):
        result = runner.invoke(app, ["curate", str(source), "--out", str(out), *option])
        assert result.exit_code == 2 and expected in " ".join(result.output.split()), result.output
        assert not out.exists()
