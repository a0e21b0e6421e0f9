"""Parallel generation batches (`generate.parallel_batches`): records per minute with one batch
in flight against two, on the same self-instruct build.

The scripted server (tests/support/fault_server.py with the scripted model) answers every chat
request after a fixed latency, so the time a build takes is mostly waiting on the endpoint; a
batch's steps (new instructions, categories, classification, instances) each wait for their
slowest request, and a second batch in flight fills the slots the first leaves idle. Each run is
a fresh build in a fresh data folder (nothing replayed from a journal); runs interleave (the
order alternates each round) after one warm-up build that loads the language detector. Reported:
the median records per minute of the rounds, each round's ratio, and the most requests the server
saw in flight at once (answer time = arrival + latency).

Heavy (both cores): run under the shared lock.
    flock /tmp/seedforge-heavy.lock python -m bench.parallel_batches --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from typing import Any

from pipeline.build.run import BuildHooks, build_dataset
from pipeline.config import BuildConfig
from pipeline.evaluate.config import EvaluateConfig
from pipeline.generate.self_instruct.config import GenerateConfig
from pipeline.llm.config import LLMConfig
from tests.support.fault_server import FaultServer
from tests.support.scripted_model import scripted_model


def config(base_url: str, parallel: int, target: int, concurrency: int) -> BuildConfig:
    return BuildConfig(
        name="bench",
        llm=LLMConfig(base_url=base_url, model="scripted", concurrency=concurrency, max_tokens=200),
        generate=GenerateConfig(
            target=target, max_requests=10 * target, tasks_per_request=4, parallel_batches=parallel
        ),
        evaluate=EvaluateConfig(heldout_fraction=0.2, min_heldout=2),
        exports=["jsonl"],
    )


def most_in_flight(arrivals: list[float], latency: float) -> int:
    events = sorted([(t, 1) for t in arrivals] + [(t + latency, -1) for t in arrivals])
    level = peak = 0
    for _, step in events:
        level += step
        peak = max(peak, level)
    return peak


def one_run(parallel: int, args: argparse.Namespace) -> dict[str, Any]:
    os.environ["SEEDFORGE_DATA_DIR"] = tempfile.mkdtemp(prefix="bench-parallel-")
    with FaultServer(responder=scripted_model, latency_s=args.latency) as server:
        started = time.monotonic()
        built = build_dataset(
            config(server.base_url, parallel, args.target, args.concurrency), hooks=BuildHooks()
        )
        seconds = time.monotonic() - started
        arrivals = [r.at for r in server.received]
    kept = len(built.generated.kept)
    return {
        "parallel_batches": parallel,
        "seconds": round(seconds, 2),
        "records": kept,
        "records_per_minute": round(kept / seconds * 60, 1),
        "requests": built.generated.requests,
        "batches": built.generated.batches,
        "server_most_in_flight": most_in_flight(arrivals, args.latency),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--target", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--latency", type=float, default=0.3, help="seconds the server takes per answer")
    parser.add_argument("--parallel", type=int, default=2, help="batches in flight against one")
    args = parser.parse_args()
    one_run(1, args)  # warm-up: imports, the language detector's model
    runs: dict[int, list[dict[str, Any]]] = {1: [], args.parallel: []}
    for round_ in range(args.rounds):
        order = (1, args.parallel) if round_ % 2 == 0 else (args.parallel, 1)
        for parallel in order:
            runs[parallel].append(one_run(parallel, args))
            print(json.dumps(runs[parallel][-1]), flush=True)
    median = {p: statistics.median(r["records_per_minute"] for r in rs) for p, rs in runs.items()}
    ratios = [
        round(b["records_per_minute"] / a["records_per_minute"], 2)
        for a, b in zip(runs[1], runs[args.parallel], strict=True)
    ]
    print(
        json.dumps(
            {
                "latency_s": args.latency,
                "concurrency": args.concurrency,
                "target": args.target,
                "median_records_per_minute": {str(p): m for p, m in median.items()},
                "ratio_median": round(median[args.parallel] / median[1], 2),
                "ratio_per_round": ratios,
                "server_most_in_flight": {
                    str(p): max(r["server_most_in_flight"] for r in rs) for p, rs in runs.items()
                },
            }
        )
    )


if __name__ == "__main__":
    main()
