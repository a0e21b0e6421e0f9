"""Two embedded servers against one on the same self-instruct job: records per minute.

The build of `bench/parallel_batches.py` (same config, `generate.parallel_batches` batches in
flight, structure step off) runs against the first of two embedded SmolLM2 servers alone
("one") and against both through `llm.endpoints` ("two"). The servers (one thread each, as
`seedforge llm serve --replicas 2` starts them) are started afresh for every run, outside its
timing: a server kept from the run before could reuse what it computed for the same prompts.
Every request carries the same seed, so either way the job asks and is answered the same
things; each run is a fresh build in a fresh data folder (nothing replayed). Runs interleave,
the order alternating each round, after one warm-up build against the scripted server
(imports, the language detector). Reported: each run's records, requests and seconds, the
median records per minute of each side with its spread, the ratio of the medians and each
round's ratio; and where the time goes: the CPU seconds of each server and of the build's own
process, and the prompt tokens the servers evaluated (llama.cpp reuses the start a prompt
shares with the one before, so a step's template is computed once per server). A last run
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
import re
import statistics
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import psutil

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


def prompt_tokens_evaluated(server: EmbeddedServer) -> int:
    """Prompt tokens this server has computed so far (llama.cpp's timing lines); a prompt's
    start that the server reused from the previous request is not counted."""
    assert server.log_path is not None
    text = server.log_path.read_text(errors="replace")
    return sum(int(m[1]) for m in re.finditer(r"prompt eval time =\s+[\d.]+ ms /\s+(\d+) tokens", text))


def server_cpu_s(servers: list[EmbeddedServer]) -> list[float]:
    """CPU seconds each server process has used so far (0 for one that is gone)."""
    seconds = []
    for server in servers:
        try:
            times = psutil.Process(server.process.pid).cpu_times() if server.process else None
        except psutil.NoSuchProcess:
            times = None
        seconds.append(times.user + times.system if times else 0.0)
    return seconds


def measured_run(args: argparse.Namespace, servers: list[EmbeddedServer], urls: list[str]) -> dict[str, Any]:
    """One build, with the CPU its own process and each server spent on it (on two cores, the
    build's own CPU is taken from the servers when both are busy) and the prompt tokens the
    servers computed."""
    servers_before = server_cpu_s(servers)
    tokens_before = sum(prompt_tokens_evaluated(server) for server in servers)
    build_before = time.process_time()
    run = one_run(args.parallel, args, urls, None)
    build_cpu = time.process_time() - build_before
    used = [after - before for after, before in zip(server_cpu_s(servers), servers_before, strict=True)]
    return {
        **run,
        "prompt_tokens_evaluated": sum(prompt_tokens_evaluated(server) for server in servers) - tokens_before,
        "build_cpu_s": round(build_cpu, 1),
        "server_cpu_s": [round(u, 1) for u in used],
        "server_busy": [round(u / run["seconds"], 2) for u in used],
    }


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


def fresh_servers(count: int, stack: ExitStack) -> list[EmbeddedServer]:
    """Servers started for one run: nothing a server computed for an earlier run (the same
    requests, asked again) is there to reuse."""
    log = Path(tempfile.mkdtemp(prefix="bench-replicas-job-")) / "llm.log"
    return start_servers(count, log, stack)


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
    parser.add_argument("--no-kill", action="store_true", help="leave out the killed-replica run")
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON report here")
    parser.add_argument(
        "--sides",
        default="one,two",
        help="which to run: 'two' alone interleaves with another checkout's runs (no ratio then)",
    )
    args = parser.parse_args()
    with FaultServer(responder=scripted_model) as warm:
        one_run(1, argparse.Namespace(**{**vars(args), "target": 8}), [warm.base_url], warm)
    sides = tuple(side for side in ("one", "two") if side in args.sides.split(","))
    runs: dict[str, list[dict[str, Any]]] = {side: [] for side in sides}
    for round_ in range(args.rounds):
        order = sides if round_ % 2 == 0 else sides[::-1]
        for side in order:
            with ExitStack() as stack:
                servers = fresh_servers(1 if side == "one" else 2, stack)
                runs[side].append(measured_run(args, servers, [server.base_url for server in servers]))
            print(json.dumps({"side": side, **runs[side][-1]}), flush=True)
    if sides != ("one", "two"):
        return  # the runs above are the result: another checkout's runs give the other side
    killed = None
    if not args.no_kill:
        with ExitStack() as stack:
            two_s = statistics.median(r["seconds"] for r in runs["two"])
            killed = killed_run(args, fresh_servers(2, stack), two_s / 3)
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
        "prompt_tokens_evaluated": {
            side: [r["prompt_tokens_evaluated"] for r in rs] for side, rs in runs.items()
        },
        "records": {side: [r["records"] for r in rs] for side, rs in runs.items()},
        "requests": {side: [r["requests"] for r in rs] for side, rs in runs.items()},
        "build_cpu_s": {side: [r["build_cpu_s"] for r in rs] for side, rs in runs.items()},
        "server_busy": {side: [r["server_busy"] for r in rs] for side, rs in runs.items()},
        "killed": killed,
    }
    print(json.dumps(report, indent=2))
    if args.out:
        args.out.write_text(
            json.dumps({"runs": {**runs, "killed": [killed] if killed else []}, "report": report}, indent=2)
        )


if __name__ == "__main__":
    main()
