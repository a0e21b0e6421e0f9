"""Journal backends (issue 16): the client's overhead per request with the journal on SQLite vs
on PostgreSQL (a local PostgreSQL 15 with fsync on, started here like the tests start theirs).
Run from the repository root, under the heavy-job lock:

    flock /tmp/seedforge-heavy.lock timeout 900 python bench/llm_journal.py [--requests 1000]

The measure of bench/llm_client.py's throughput part: N distinct requests at concurrency 8
against the fault server in its own process (20 ms latency), through `run_requests` with a
fresh journal; requests/s and the client process's CPU per request, plus the PostgreSQL
server's CPU per request (its processes, read with psutil). Rounds interleave the backends
(SQLite first in even rounds, PostgreSQL first in odd ones); the summary gives each figure's
median and its spread (min-max) over the rounds, and the ratio of the medians.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import psutil
from llm_client import KEY, ServerProcess, chat_requests, timed

from pipeline.llm.config import LLMConfig
from pipeline.llm.endpoint import Endpoint, run_requests
from pipeline.llm.journal_location import open_journal
from tests.support.postgres_server import PostgresServer, postgres_server


def server_processes(server: PostgresServer) -> list[psutil.Process]:
    pid = int((server.socket_dir.parent / "data" / "postmaster.pid").read_text().split()[0])
    postmaster = psutil.Process(pid)
    return [postmaster, *postmaster.children(recursive=True)]


def server_cpu(server: PostgresServer) -> dict[int, float]:
    seconds: dict[int, float] = {}
    for process in server_processes(server):
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        seconds[process.pid] = times.user + times.system + times.children_user + times.children_system
    return seconds


def one_run(
    location: str, endpoint: Endpoint, config: LLMConfig, n: int, prefix: str, pg: PostgresServer
) -> dict[str, float]:
    requests = chat_requests(n, prefix)
    with open_journal(location) as journal:
        answered = journal.counts().get("answered", 0)  # one PostgreSQL database for every run
        before = server_cpu(pg)
        (results, stats), wall, cpu = timed(lambda: run_requests(endpoint, config, journal, requests))
        after = server_cpu(pg)
        assert all(r.ok for r in results) and stats.sent == n and journal.counts()["answered"] == answered + n
    server = sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())
    return {"req_s": n / wall, "cpu_ms_per_req": cpu / n * 1000, "server_cpu_ms_per_req": server / n * 1000}


def spread(values: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
    }


def bench(n: int, concurrency: int, rounds: int) -> dict[str, Any]:
    fault = ServerProcess("--latency", "0.02")
    config = LLMConfig(
        base_url=fault.base_url,
        model="m",
        concurrency=concurrency,
        max_concurrency=concurrency,
        max_tokens=64,
    )
    endpoint = Endpoint(fault.base_url, KEY, "m", embedded=False)
    runs: dict[str, list[dict[str, float]]] = {"sqlite": [], "postgresql": []}
    try:
        with postgres_server(fsync=True) as pg, tempfile.TemporaryDirectory() as tmp:
            locations = {"sqlite": "", "postgresql": pg.url()}
            one_run(str(Path(tmp) / "warm.sqlite3"), endpoint, config, 200, "warm-s", pg)
            one_run(pg.url(), endpoint, config, 200, "warm-p", pg)
            for r in range(rounds):
                order = ["sqlite", "postgresql"] if r % 2 == 0 else ["postgresql", "sqlite"]
                for backend in order:
                    location = locations[backend] or str(Path(tmp) / f"j{r}.sqlite3")
                    result = one_run(location, endpoint, config, n, f"{backend}{r}", pg)
                    runs[backend].append(result)
                    print(
                        json.dumps(
                            {"round": r, "backend": backend, **{k: round(v, 3) for k, v in result.items()}}
                        ),
                        flush=True,
                    )
    finally:
        fault.stop()
    summary: dict[str, Any] = {"requests": n, "concurrency": concurrency, "rounds": rounds, "latency_ms": 20}
    for backend, results in runs.items():
        summary[backend] = {key: spread([r[key] for r in results]) for key in results[0]}
    sqlite, postgres = summary["sqlite"], summary["postgresql"]
    summary["cpu_ratio_postgresql_over_sqlite"] = round(
        postgres["cpu_ms_per_req"]["median"] / sqlite["cpu_ms_per_req"]["median"], 2
    )
    summary["cpu_ratio_with_server"] = round(
        (postgres["cpu_ms_per_req"]["median"] + postgres["server_cpu_ms_per_req"]["median"])
        / sqlite["cpu_ms_per_req"]["median"],
        2,
    )
    summary["req_s_ratio"] = round(postgres["req_s"]["median"] / sqlite["req_s"]["median"], 3)
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json-out", type=Path, default=None)
    args = parser.parse_args()
    summary = bench(args.requests, args.concurrency, args.rounds)
    print(json.dumps(summary, indent=2), flush=True)
    if args.json_out:
        args.json_out.write_text(json.dumps(summary, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
