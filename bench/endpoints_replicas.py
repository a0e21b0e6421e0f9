"""Two embedded servers against one: requests (and completion tokens) per minute.

Two llama.cpp replicas of the embedded SmolLM2 are started once (one thread each, as
`seedforge llm serve --replicas 2` starts them). Each run sends the same fixed batch of
distinct story prompts through `run_requests`, with a fresh journal and a fresh `Endpoint`
(nothing learned carries over): "one" talks to the first replica alone, "two" to both through
the router (`llm.endpoints`). Default adaptive controls, same seed, so the same tokens are
generated either way. Runs interleave (the order alternates each round); the report gives the
median of the rounds, the spread (min..max) and each round's ratio. A last run ("killed") sends
the batch to both and kills the first server a third of the way through: every request must
still be answered, with no more attempts than one per request plus the failed ones.

Heavy (both cores): run under the shared lock.
    flock /tmp/seedforge-heavy.lock python -m bench.endpoints_replicas --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from pipeline.llm.client import ChatRequest
from pipeline.llm.config import LLMConfig
from pipeline.llm.embedded import EMBEDDED_MODEL_NAME, start_servers
from pipeline.llm.endpoint import Endpoint, run_requests
from pipeline.llm.journal import Journal
from pipeline.llm.replicas import Replica

KINDS = ("a grumpy", "a tiny", "an old", "a brave", "a lost", "a singing")
THINGS = ("cat", "river", "robot", "garden", "train", "lamp", "storm", "violin")


def prompts(n: int) -> list[ChatRequest]:
    topics = [f"{kind} {thing}" for kind in KINDS for thing in THINGS]
    assert n <= len(topics), f"at most {len(topics)} distinct prompts"
    return [
        ChatRequest(messages=[{"role": "user", "content": f"Write a short story about {topic}."}])
        for topic in topics[:n]
    ]


def endpoint(urls: list[str]) -> Endpoint:
    key = "not-needed"
    if len(urls) == 1:
        return Endpoint(urls[0], key, EMBEDDED_MODEL_NAME, embedded=True)
    replicas = tuple(Replica(url, SecretStr(key), EMBEDDED_MODEL_NAME) for url in urls)
    return Endpoint(urls[0], key, EMBEDDED_MODEL_NAME, embedded=True, replicas=replicas)


def one_run(urls: list[str], config: LLMConfig, requests: list[ChatRequest]) -> dict[str, Any]:
    target = endpoint(urls)
    return measure(target, config, requests)


def measure(target: Endpoint, config: LLMConfig, requests: list[ChatRequest]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, Journal(Path(tmp) / "journal.sqlite3") as journal:
        started = time.monotonic()
        results, stats = run_requests(target, config, journal, requests)
        wall = time.monotonic() - started
    answered = sum(1 for r in results if r.ok)
    sent = [s.sent for s in target.run.replicas] if target.run.replicas else [stats.sent]
    return {
        "wall_s": round(wall, 2),
        "answered": answered,
        "requests_per_min": round(answered / wall * 60, 1),
        "completion_tokens_per_min": round(stats.completion_tokens / wall * 60, 1),
        "completion_tokens": stats.completion_tokens,
        "sent_per_endpoint": sent,
        "attempts": stats.sent,
        "failed_attempts": dict(stats.retries),
    }


def summary(values: list[float]) -> dict[str, float]:
    return {"median": round(statistics.median(values), 2), "min": min(values), "max": max(values)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=24)
    parser.add_argument("--max-tokens", type=int, default=48)
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON report here")
    args = parser.parse_args()
    config = LLMConfig(max_tokens=args.max_tokens, temperature=0.8, seed=7)
    requests = prompts(args.requests)
    runs: dict[str, list[dict[str, Any]]] = {"one": [], "two": []}
    load_before = os.getloadavg()  # other work on the machine takes cores from the replicas
    with ExitStack() as stack:
        servers = start_servers(2, None, stack)
        urls = {"one": [servers[0].base_url], "two": [s.base_url for s in servers]}
        one_run(urls["two"], config, requests[:4])  # warm both servers up (first-request costs)
        for round_ in range(args.rounds):
            order = ("one", "two") if round_ % 2 == 0 else ("two", "one")
            for name in order:
                run = one_run(urls[name], config, requests)
                runs[name].append(run)
                print(name, round_, run, flush=True)
        two_wall = statistics.median(r["wall_s"] for r in runs["two"])
        victim = servers[0].process
        assert victim is not None
        killer = threading.Timer(two_wall / 3, victim.kill)
        killer.start()
        killed = measure(endpoint(urls["two"]), config.model_copy(update={"probe_after_s": 60.0}), requests)
        killer.join()
        print("killed", killed, flush=True)
    report: dict[str, Any] = {
        "requests": args.requests,
        "max_tokens": args.max_tokens,
        "rounds": args.rounds,
        "runs": runs,
        "killed": killed,
        "load_average_1m": {"before": round(load_before[0], 2), "after": round(os.getloadavg()[0], 2)},
        "cpus": os.cpu_count(),
    }
    for metric in ("requests_per_min", "completion_tokens_per_min"):
        one = [r[metric] for r in runs["one"]]
        two = [r[metric] for r in runs["two"]]
        report[metric] = {"one": summary(one), "two": summary(two)}
        report[f"{metric}_ratio"] = {
            "of_medians": round(statistics.median(two) / statistics.median(one), 2),
            "per_round": [round(b / a, 2) for a, b in zip(one, two, strict=True)],
        }
    text = json.dumps(report, indent=2)
    print(text)
    if args.out is not None:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
