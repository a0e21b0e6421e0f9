"""LLM client benchmark (issue 3). Run from the repository root, under the heavy-job lock:

    flock /tmp/seedforge-heavy.lock timeout 1800 python bench/llm_client.py [--part NAME]

1. throughput: seedforge's client with the journal on vs a bare `AsyncOpenAI` + `asyncio.gather`
   loop, at equal concurrency, against a local endpoint with a fixed 20 ms latency (a separate
   process, so each side's CPU time is its own); requests/s and CPU per request, same run.
2. adaptive: against the fault server enforcing an unannounced limit of R requests/s (429 with
   Retry-After above it): sustained answers/s and the share of 429s; then R doubles and we
   measure how long until seedforge reaches 0.9 of the new limit.
3. embedded: tokens/s from the embedded llama.cpp server at concurrency 1, 2 and 4.
4. serial: default adaptive admission vs fixed concurrency 1 and 8 against that (serial) server:
   tokens/s, latency and the adaptive window over time (bench/llm_serial.py).

Prints a JSON summary (and, for the serial part, its docs/benchmarks.md table).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from llm_serial import bench_serial, markdown
from openai import AsyncOpenAI

from pipeline.llm.client import ChatRequest
from pipeline.llm.config import LLMConfig
from pipeline.llm.endpoint import Endpoint, run_requests
from pipeline.llm.journal import Journal

KEY = "sk-bench-not-a-real-key"


class ServerProcess:
    """The fault server in its own process (`python -m tests.support.fault_server`)."""

    def __init__(self, *args: str):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.fault_server", *args],
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
        line = self.process.stdout.readline() if self.process.stdout else ""
        if not line.startswith("ready "):
            raise RuntimeError(f"fault server did not start: {line!r}")
        self.base_url = line.split()[1]
        self.root = self.base_url.removesuffix("/v1")

    def admin(self, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        with urllib.request.urlopen(urllib.request.Request(self.root + path, data=data), timeout=30) as r:
            return json.load(r)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def chat_requests(n: int, prefix: str) -> list[ChatRequest]:
    return [
        ChatRequest(
            messages=[{"role": "user", "content": f"{prefix} question {i}"}], template_version="bench@1"
        )
        for i in range(n)
    ]


async def bare_loop(base_url: str, n: int, concurrency: int, prefix: str) -> int:
    client = AsyncOpenAI(base_url=base_url, api_key=KEY, max_retries=0)
    slots = asyncio.Semaphore(concurrency)

    async def one(i: int) -> str | None:
        async with slots:
            response = await client.chat.completions.create(
                model="m",
                messages=[{"role": "user", "content": f"{prefix} question {i}"}],
                temperature=0.7,
                top_p=0.95,
                max_tokens=64,
                seed=0,
            )
            return response.choices[0].message.content

    answers = await asyncio.gather(*(one(i) for i in range(n)))
    await client.close()
    return sum(a is not None for a in answers)


def timed(fn: Any) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def bench_throughput(n: int, concurrency: int, rounds: int) -> dict[str, Any]:
    server = ServerProcess("--latency", "0.02")
    config = LLMConfig(
        base_url=server.base_url,
        model="m",
        concurrency=concurrency,
        max_concurrency=concurrency,
        max_tokens=64,
    )
    endpoint = Endpoint(server.base_url, KEY, "m", embedded=False)
    runs: dict[str, list[tuple[float, float]]] = {"bare": [], "seedforge": []}
    replay: tuple[float, float] = (0.0, 0.0)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            asyncio.run(bare_loop(server.base_url, 200, concurrency, "warm-up"))
            for r in range(rounds):  # interleaved, so machine noise hits both alike
                answered, wall, cpu = timed(
                    lambda r=r: asyncio.run(bare_loop(server.base_url, n, concurrency, f"bare{r}"))
                )
                assert answered == n
                runs["bare"].append((n / wall, cpu / n))
                with Journal(Path(tmp) / f"j{r}.sqlite3") as journal:
                    requests = chat_requests(n, f"sf{r}")
                    (results, stats), wall, cpu = timed(
                        lambda requests=requests: run_requests(endpoint, config, journal, requests)
                    )
                    assert all(x.ok for x in results) and stats.sent == n
                    runs["seedforge"].append((n / wall, cpu / n))
                    if r == 0:
                        (_, stats), wall, cpu = timed(
                            lambda requests=requests: run_requests(endpoint, config, journal, requests)
                        )
                        assert stats.journal_hits == n
                        replay = (n / wall, cpu / n)
    finally:
        server.stop()
    best = {name: max(values) for name, values in runs.items()}  # best round: least disturbed
    least_cpu = {name: min(c for _, c in values) for name, values in runs.items()}
    return {
        "requests": n,
        "concurrency": concurrency,
        "rounds": rounds,
        "latency_ms": 20,
        "bare_req_s": round(best["bare"][0], 1),
        "seedforge_req_s": round(best["seedforge"][0], 1),
        "ratio": round(best["seedforge"][0] / best["bare"][0], 3),
        "bare_cpu_ms_per_req": round(least_cpu["bare"] * 1000, 3),
        "seedforge_cpu_ms_per_req": round(least_cpu["seedforge"] * 1000, 3),
        "journal_replay_req_s": round(replay[0], 1),
        "journal_replay_cpu_ms_per_req": round(replay[1] * 1000, 3),
        "all_rounds": {k: [[round(a, 1), round(c * 1000, 3)] for a, c in v] for k, v in runs.items()},
    }


def per_second(times: list[float], start: float, end: float) -> list[int]:
    counts = [0] * max(0, int(end - start))
    for t in times:
        if start <= t < start + len(counts):
            counts[int(t - start)] += 1
    return counts


def bench_adaptive(rate: float, phase_s: float, after_s: float) -> dict[str, Any]:
    server = ServerProcess("--latency", "0.02", "--rate-limit", str(rate))
    n = int(rate * phase_s + 2 * rate * after_s * 1.2)
    config = LLMConfig(
        base_url=server.base_url, model="m", concurrency=8, max_attempts=20, backoff_base_s=0.2, max_tokens=64
    )
    endpoint = Endpoint(server.base_url, KEY, "m", embedded=False)
    start = time.time()

    def double_later() -> None:
        time.sleep(phase_s)
        server.admin("/admin/config", {"rate_limit": 2 * rate})

    import threading

    doubler = threading.Thread(target=double_later, daemon=True)
    try:
        with tempfile.TemporaryDirectory() as tmp, Journal(Path(tmp) / "j.sqlite3") as journal:
            doubler.start()
            results, stats = run_requests(endpoint, config, journal, chat_requests(n, "adaptive"))
        log = server.admin("/admin/log")
    finally:
        server.stop()
    answered = [t - start for t, status in log if status == 200]
    limited = [t - start for t, status in log if status == 429]
    end = max(answered)
    steady = per_second(answered, 5.0, phase_s)
    sent_steady = sum(1 for t, _ in [(t - start, s) for t, s in log] if 5.0 <= t < phase_s)
    limited_steady = sum(1 for t in limited if 5.0 <= t < phase_s)
    sent_first = sum(1 for t, _ in log if t - start < phase_s)
    recovered = None
    ordered = sorted(answered)
    for i, t in enumerate(ordered):  # answers in the one-second window ending at t
        if t < phase_s:
            continue
        window = i - next(j for j in range(i + 1) if ordered[j] > t - 1.0) + 1
        if window >= 0.9 * 2 * rate:
            recovered = round(t - phase_s, 2)
            break
    after = per_second(answered, phase_s + 10.0, end)
    return {
        "rate_limit": rate,
        "phase_s": phase_s,
        "requests": n,
        "all_answered": all(r.ok for r in results),
        "steady_answers_per_s": round(sum(steady) / len(steady), 1),
        "steady_share_of_limit": round(sum(steady) / len(steady) / rate, 3),
        "steady_429_share": round(limited_steady / max(1, sent_steady), 4),
        "first_phase_429_share": round(sum(1 for t in limited if t < phase_s) / max(1, sent_first), 4),
        "whole_run_429_share": round(len(limited) / max(1, len(log)), 4),
        "recovery_s_to_0.9x_doubled": recovered,
        "after_recovery_answers_per_s": round(sum(after) / len(after), 1) if after else None,
        "after_recovery_share_of_limit": round(sum(after) / len(after) / (2 * rate), 3) if after else None,
        "per_second_answers": per_second(answered, 0.0, end),
        "stats": {k: v for k, v in stats.as_dict().items() if k != "concurrency_timeline"},
    }


def bench_embedded(levels: tuple[int, ...], per_level: int, max_tokens: int) -> dict[str, Any]:
    from pipeline.llm.embedded import EMBEDDED_MODEL_NAME, EmbeddedServer

    out: dict[str, Any] = {"max_tokens": max_tokens, "requests_per_level": per_level, "levels": {}}
    with EmbeddedServer() as server, tempfile.TemporaryDirectory() as tmp:
        endpoint = Endpoint(server.base_url, "not-needed", EMBEDDED_MODEL_NAME, embedded=True)
        for level in levels:
            config = LLMConfig(
                concurrency=level,
                max_concurrency=level,
                adaptive=False,
                max_tokens=max_tokens,
                temperature=0.8,
                seed=level * 1000,
            )
            requests = [
                ChatRequest(messages=[{"role": "user", "content": f"Write a short story about a {topic}."}])
                for topic in (
                    "cat",
                    "river",
                    "robot",
                    "garden",
                    "train",
                    "lamp",
                    "storm",
                    "violin",
                    "desert",
                    "ship",
                    "clock",
                    "bridge",
                )[:per_level]
            ]
            with Journal(Path(tmp) / f"j{level}.sqlite3") as journal:
                (results, stats), wall, _ = timed(
                    lambda config=config, requests=requests: run_requests(endpoint, config, journal, requests)
                )
            out["levels"][level] = {
                "completion_tokens": stats.completion_tokens,
                "wall_s": round(wall, 2),
                "tokens_per_s": round(stats.completion_tokens / wall, 1),
                "latency_p50_s": stats.as_dict()["latency_p50_s"],
                "all_answered": all(r.ok for r in results),
            }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--part", choices=("throughput", "adaptive", "embedded", "serial", "all"), default="all"
    )
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rate", type=float, default=40.0)
    parser.add_argument("--phase", type=float, default=20.0)
    parser.add_argument("--json-out", type=Path, default=None)
    args = parser.parse_args()
    summary: dict[str, Any] = {}
    if args.part in ("throughput", "all"):
        summary["throughput"] = bench_throughput(args.requests, args.concurrency, args.rounds)
        print(json.dumps(summary["throughput"]), flush=True)
    if args.part in ("adaptive", "all"):
        summary["adaptive"] = bench_adaptive(args.rate, args.phase, 15.0)
        print(
            json.dumps({k: v for k, v in summary["adaptive"].items() if k != "per_second_answers"}),
            flush=True,
        )
    if args.part in ("embedded", "all"):
        summary["embedded"] = bench_embedded((1, 2, 4), 8, 128)
        print(json.dumps(summary["embedded"]), flush=True)
    if args.part in ("serial", "all"):
        summary["serial"] = bench_serial(48, 64, args.rounds)
        print(json.dumps({k: v for k, v in summary["serial"].items() if k != "runs"}), flush=True)
        print(markdown(summary["serial"]), flush=True)
    if args.json_out:
        args.json_out.write_text(json.dumps(summary, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
