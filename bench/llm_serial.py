"""Part `serial` of bench/llm_client.py: the adaptive window against a serial server.

The embedded llama.cpp server (SmolLM2, one thread) answers one request at a time, so requests
in flight beyond one only queue. The same distinct prompts go through `run_requests` with
(a) the default adaptive admission (starts at 2, ceiling 32), (b) fixed concurrency 1 and
(c) fixed concurrency 8, interleaved over rounds (the order rotates each round), each run with
a fresh journal and a fresh `Endpoint` (so nothing learned carries over). Same seed for all,
so every run generates the same tokens.

The adaptive window is read from the controller (`endpoint.run.control.window.limit`) by a
thread every 50 ms while the batch runs: a read of an int, which changes nothing. Requests in
flight come from the client's own timeline (time-weighted means per 0.5 s).
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from pipeline.llm.client import ChatRequest
from pipeline.llm.config import LLMConfig
from pipeline.llm.endpoint import Endpoint, run_requests
from pipeline.llm.journal import Journal

SAMPLE_S = 0.05
KINDS = ("a grumpy", "a tiny", "an old", "a brave", "a lost", "a singing")
THINGS = ("cat", "river", "robot", "garden", "train", "lamp", "storm", "violin")


def prompts(n: int) -> list[ChatRequest]:
    topics = [f"{kind} {thing}" for kind in KINDS for thing in THINGS]
    assert n <= len(topics), f"at most {len(topics)} distinct prompts"
    return [
        ChatRequest(messages=[{"role": "user", "content": f"Write a short story about {topic}."}])
        for topic in topics[:n]
    ]


def configs(max_tokens: int) -> dict[str, LLMConfig]:
    common: dict[str, Any] = {"max_tokens": max_tokens, "temperature": 0.8, "seed": 7}
    return {
        "adaptive": LLMConfig(**common),  # the defaults: adaptive, start 2, ceiling 32
        "fixed-1": LLMConfig(concurrency=1, max_concurrency=1, adaptive=False, **common),
        "fixed-8": LLMConfig(concurrency=8, max_concurrency=8, adaptive=False, **common),
    }


class WindowSampler:
    """Samples the endpoint's concurrency window limit at a fixed interval, from a thread."""

    def __init__(self, endpoint: Endpoint):
        self.endpoint = endpoint
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        start = time.monotonic()
        while not self._stop.wait(SAMPLE_S):
            control = self.endpoint.run.control
            if control is not None:
                self.samples.append((time.monotonic() - start, control.window.limit))

    def __enter__(self) -> WindowSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def per_second(self) -> list[int]:
        """The window at each whole second of the run."""
        out: list[int] = []
        for t, limit in self.samples:
            while len(out) <= int(t):
                out.append(limit)
        return out


def one_run(
    base_url: str, model: str, config: LLMConfig, requests: list[ChatRequest], journal_path: Path
) -> dict[str, Any]:
    endpoint = Endpoint(base_url, "not-needed", model, embedded=True)
    with Journal(journal_path) as journal, WindowSampler(endpoint) as sampler:
        started = time.perf_counter()
        results, stats = run_requests(endpoint, config, journal, requests)
        wall = time.perf_counter() - started
    assert all(r.ok for r in results) and stats.journal_hits == 0
    summary = stats.as_dict()
    windows = [limit for _, limit in sampler.samples]
    in_flight = [mean for _, mean, _, _ in stats.timeline.points]
    return {
        "completion_tokens": stats.completion_tokens,
        "wall_s": round(wall, 2),
        "tokens_per_s": round(stats.completion_tokens / wall, 1),
        "latency_p50_s": summary["latency_p50_s"],
        "latency_p95_s": summary["latency_p95_s"],
        "window_median": statistics.median(windows) if windows else None,
        "window_max": max(windows) if windows else None,
        "window_per_s": sampler.per_second(),
        "window_decreases": endpoint.run.control.window.decreases if endpoint.run.control else 0,
        "in_flight_mean": summary["effective_concurrency_mean"],
        "in_flight_max_half_s": round(max(in_flight), 2) if in_flight else None,
    }


def spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def bench_serial(n: int, max_tokens: int, rounds: int) -> dict[str, Any]:
    from pipeline.llm.embedded import EMBEDDED_MODEL_NAME, EmbeddedServer

    requests, settings = prompts(n), configs(max_tokens)
    names = list(settings)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    with EmbeddedServer() as server, tempfile.TemporaryDirectory() as tmp:
        warm = [ChatRequest(messages=[{"role": "user", "content": "Say hello."}])]
        one_run(server.base_url, EMBEDDED_MODEL_NAME, settings["fixed-1"], warm, Path(tmp) / "warm.db")
        for r in range(rounds):
            for name in names[r % len(names) :] + names[: r % len(names)]:
                run = one_run(
                    server.base_url,
                    EMBEDDED_MODEL_NAME,
                    settings[name],
                    requests,
                    Path(tmp) / f"{name}{r}.db",
                )
                runs[name].append(run)
                print(name, r, {k: v for k, v in run.items() if k != "window_per_s"}, flush=True)
    fields = ("tokens_per_s", "wall_s", "latency_p50_s", "latency_p95_s", "window_median", "window_max")
    table = {name: {f: spread([run[f] for run in runs[name]]) for f in fields} for name in names}
    ratios = [
        a["tokens_per_s"] / b["tokens_per_s"] for a, b in zip(runs["adaptive"], runs["fixed-1"], strict=True)
    ]
    p50s = [
        a["latency_p50_s"] / b["latency_p50_s"]
        for a, b in zip(runs["adaptive"], runs["fixed-8"], strict=True)
    ]
    return {
        "requests": n,
        "max_tokens": max_tokens,
        "rounds": rounds,
        "table": table,
        "adaptive_over_fixed1_tokens_per_s": spread([round(x, 3) for x in ratios]),
        "adaptive_over_fixed8_p50": spread([round(x, 3) for x in p50s]),
        "runs": runs,
    }


def markdown(result: dict[str, Any]) -> str:
    """The table for docs/benchmarks.md: median (min–max) of the rounds."""

    def cell(s: dict[str, float], digits: int = 2) -> str:
        return f"{s['median']:.{digits}f} ({s['min']:.{digits}f}–{s['max']:.{digits}f})"

    lines = [
        "| admission | tokens/s | wall (s) | p50 latency (s) | p95 latency (s) "
        "| window median | window max |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, row in result["table"].items():
        lines.append(
            f"| {name} | {cell(row['tokens_per_s'], 1)} | {cell(row['wall_s'], 1)} | "
            f"{cell(row['latency_p50_s'])} | {cell(row['latency_p95_s'])} | "
            f"{cell(row['window_median'], 1)} | {cell(row['window_max'], 0)} |"
        )
    ratio, p50 = result["adaptive_over_fixed1_tokens_per_s"], result["adaptive_over_fixed8_p50"]
    lines += [
        "",
        f"adaptive / fixed-1 tokens/s: {cell(ratio, 3)}; adaptive / fixed-8 p50 latency: {cell(p50, 3)}",
    ]
    return "\n".join(lines) + "\n"
