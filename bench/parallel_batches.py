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

`--embedded N` runs the same builds against N embedded SmolLM2 servers (one thread each, as
`seedforge llm serve --replicas N` starts them, started once for all runs) through
`llm.endpoints`, with the curator's structure step off (the 135M model's records rarely pass it).

Heavy (both cores): run under the shared lock.
    flock /tmp/seedforge-heavy.lock python -m bench.parallel_batches --rounds 3
    flock /tmp/seedforge-heavy.lock python -m bench.parallel_batches --rounds 1 --embedded 2 --target 8
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from pipeline.build.run import BuildHooks, build_dataset
from pipeline.config import BuildConfig
from pipeline.curate.config import STEPS, CurateConfig
from pipeline.evaluate.config import EvaluateConfig
from pipeline.generate.self_instruct.config import GenerateConfig
from pipeline.llm.config import EndpointConfig, LLMConfig
from pipeline.llm.embedded import start_servers
from tests.support.fault_server import FaultServer, most_in_flight
from tests.support.scripted_model import scripted_model


def config(
    urls: list[str],
    parallel: int,
    target: int,
    concurrency: int,
    *,
    scripted: bool,
    tasks_per_request: int,
) -> BuildConfig:
    if scripted:
        llm = LLMConfig(base_url=urls[0], model="scripted", concurrency=concurrency, max_tokens=200)
        curate = CurateConfig()
    else:
        endpoints = [EndpointConfig(base_url=url) for url in urls]
        llm = LLMConfig(endpoints=endpoints, concurrency=concurrency, max_tokens=200)
        curate = CurateConfig(steps=[step for step in STEPS if step != "structure"])
    return BuildConfig(
        name="bench",
        llm=llm,
        generate=GenerateConfig(
            target=target,
            max_requests=10 * target,
            tasks_per_request=tasks_per_request,
            parallel_batches=parallel,
        ),
        curate=curate,
        evaluate=EvaluateConfig(heldout_fraction=0.2, min_heldout=2),
        exports=["jsonl"],
    )


@contextmanager
def endpoint_urls(embedded: int, latency: float) -> Iterator[tuple[list[str], FaultServer | None]]:
    """The scripted server (its URL, and it to count arrivals), or `embedded` llama.cpp servers."""
    if not embedded:
        with FaultServer(responder=scripted_model, latency_s=latency) as server:
            yield [server.base_url], server
        return
    with ExitStack() as stack:
        log = Path(tempfile.mkdtemp(prefix="bench-parallel-")) / "llm.log"
        servers = start_servers(embedded, log, stack)
        yield [server.base_url for server in servers], None


def one_run(
    parallel: int, args: argparse.Namespace, urls: list[str], server: FaultServer | None
) -> dict[str, Any]:
    os.environ["SEEDFORGE_DATA_DIR"] = tempfile.mkdtemp(prefix="bench-parallel-")
    seen = len(server.received) if server else 0
    started = time.monotonic()
    build = config(
        urls,
        parallel,
        args.target,
        args.concurrency,
        scripted=server is not None,
        tasks_per_request=args.tasks_per_request,
    )
    built = build_dataset(build, hooks=BuildHooks())
    seconds = time.monotonic() - started
    arrivals = [r.at for r in server.received[seen:]] if server else []
    kept = len(built.generated.kept)
    return {
        "parallel_batches": parallel,
        "endpoints": len(urls),
        "seconds": round(seconds, 2),
        "records": kept,
        "records_per_minute": round(kept / seconds * 60, 1),
        "requests": built.generated.requests,
        "batches": built.generated.batches,
        "server_most_in_flight": most_in_flight(arrivals, args.latency) if server else None,
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
    parser.add_argument("--tasks-per-request", type=int, default=4, help="new tasks asked for per prompt")
    parser.add_argument(
        "--embedded", type=int, default=0, help="embedded servers instead of the scripted one"
    )
    args = parser.parse_args()
    runs: dict[int, list[dict[str, Any]]] = {1: [], args.parallel: []}
    with FaultServer(responder=scripted_model) as warm:  # imports, the language detector's model
        one_run(1, argparse.Namespace(**{**vars(args), "target": 8}), [warm.base_url], warm)
    with endpoint_urls(args.embedded, args.latency) as (urls, server):
        for round_ in range(args.rounds):
            order = (1, args.parallel) if round_ % 2 == 0 else (args.parallel, 1)
            for parallel in order:
                runs[parallel].append(one_run(parallel, args, urls, server))
                print(json.dumps(runs[parallel][-1]), flush=True)
    median = {p: statistics.median(r["records_per_minute"] for r in rs) for p, rs in runs.items()}
    ratios = [
        round(b["records_per_minute"] / a["records_per_minute"], 2)
        for a, b in zip(runs[1], runs[args.parallel], strict=True)
    ]
    print(
        json.dumps(
            {
                "endpoints": f"{args.embedded} embedded" if args.embedded else "scripted",
                "latency_s": args.latency,
                "concurrency": args.concurrency,
                "target": args.target,
                "median_records_per_minute": {str(p): m for p, m in median.items()},
                "ratio_median": round(median[args.parallel] / median[1], 2),
                "ratio_per_round": ratios,
                "server_most_in_flight": {
                    str(p): max(r["server_most_in_flight"] or 0 for r in rs) for p, rs in runs.items()
                },
            }
        )
    )


if __name__ == "__main__":
    main()
