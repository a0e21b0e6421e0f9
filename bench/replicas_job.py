"""Two embedded servers against one on the same self-instruct job: records per minute.

The build of `bench/parallel_batches.py` (same config, `generate.parallel_batches` batches in
flight, structure step off) runs against the first of two embedded SmolLM2 servers alone
("one") and against both through `llm.endpoints` ("two"). The servers (one thread each, as
`seedforge llm serve --replicas 2` starts them) are started once for all runs. Every request
carries the same seed, so either way the job asks and is answered the same things; each run is
a fresh build in a fresh data folder (nothing replayed). Runs interleave, the order alternating
each round, after one warm-up build against the scripted server (imports, the language
detector). Reported: each run's records, requests and seconds, the median records per minute of
each side with its spread, the ratio of the medians and each round's ratio. A last run
("killed") builds against both and kills the first server a third of the way through (a third of
the median "two" time): the build must still reach its target, and the answers the two servers
gave (their access logs' 200 lines during the run) are compared with the requests the build sent,
so an answer paid for twice would show.

Heavy (both cores): run under the shared lock.
    flock /tmp/seedforge-heavy.lock python -m bench.replicas_job --rounds 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench.parallel_batches import one_run
from pipeline.llm.embedded import EmbeddedServer, start_servers
from tests.support.fault_server import FaultServer
from tests.support.scripted_model import scripted_model


def spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def answered(server: EmbeddedServer) -> int:
    """Chat completions this server has answered so far (uvicorn's access log)."""
    assert server.log_path is not None
    text = server.log_path.read_text(errors="replace")
    return sum(1 for line in text.splitlines() if '"POST /v1/chat/completions HTTP/1.1" 200' in line)


def killed_run(args: argparse.Namespace, servers: list[EmbeddedServer], after_s: float) -> dict[str, Any]:
    """A build against both servers, the first killed `after_s` seconds in."""
    before = [answered(server) for server in servers]
    timer = threading.Timer(after_s, servers[0].stop)
    timer.start()
    try:
        run = one_run(args.parallel, args, [server.base_url for server in servers], None)
    finally:
        timer.cancel()
    by_server = [answered(server) - seen for server, seen in zip(servers, before, strict=True)]
    return {
        **run,
        "killed_after_s": round(after_s, 1),
        "answered_by_server": by_server,
        "answered_in_all": sum(by_server),
        "reached_target": run["records"] >= args.target,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--target", type=int, default=16)
    parser.add_argument("--concurrency", type=int, default=4, help="each endpoint's starting window")
    parser.add_argument("--parallel", type=int, default=2, help="generation batches in flight")
    parser.add_argument("--tasks-per-request", type=int, default=4, help="new tasks asked for per prompt")
    parser.add_argument("--latency", type=float, default=0.0, help="the warm-up scripted server's latency")
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON report here")
    args = parser.parse_args()
    with FaultServer(responder=scripted_model) as warm:
        one_run(1, argparse.Namespace(**{**vars(args), "target": 8}), [warm.base_url], warm)
    runs: dict[str, list[dict[str, Any]]] = {"one": [], "two": []}
    with ExitStack() as stack:
        log = Path(tempfile.mkdtemp(prefix="bench-replicas-job-")) / "llm.log"
        servers = start_servers(2, log, stack)
        urls = [server.base_url for server in servers]
        chosen = {"one": urls[:1], "two": urls}
        for round_ in range(args.rounds):
            order = ("one", "two") if round_ % 2 == 0 else ("two", "one")
            for side in order:
                runs[side].append(one_run(args.parallel, args, chosen[side], None))
                print(json.dumps({"side": side, **runs[side][-1]}), flush=True)
        two_s = statistics.median(r["seconds"] for r in runs["two"])
        killed = killed_run(args, servers, two_s / 3)
        print(json.dumps({"side": "killed", **killed}), flush=True)
    rates = {side: [r["records_per_minute"] for r in rs] for side, rs in runs.items()}
    medians = {side: statistics.median(values) for side, values in rates.items()}
    report = {
        "target": args.target,
        "concurrency": args.concurrency,
        "parallel_batches": args.parallel,
        "tasks_per_request": args.tasks_per_request,
        "records_per_minute": {side: spread(values) for side, values in rates.items()},
        "ratio_of_medians": round(medians["two"] / medians["one"], 2),
        "ratio_per_round": [round(b / a, 2) for a, b in zip(rates["one"], rates["two"], strict=True)],
        "records": {side: [r["records"] for r in rs] for side, rs in runs.items()},
        "requests": {side: [r["requests"] for r in rs] for side, rs in runs.items()},
        "killed": killed,
    }
    print(json.dumps(report, indent=2))
    if args.out:
        args.out.write_text(json.dumps({"runs": {**runs, "killed": [killed]}, "report": report}, indent=2))


if __name__ == "__main__":
    main()
