"""Benchmark: curation's per-record half on a 2-worker Dask LocalCluster against one process
and against the 2-process pool, on bench/curate_scale.py's corpus.

The corpus (bench/synthetic_records.py, `--reposts` as in curate_scale.py) is written once,
untimed. Then each round runs the real CLI in a child process three ways, in turn —
`seedforge curate IN --out OUT --rejected R --report REP` with every step and
`--jobs 0`, `--jobs 2`, `--dask local:2` — and measures its wall time, the CPU time of the
whole process tree (wait4: the command and every worker it reaped), the CPU time of the
command's own process (sampled every 0.2 s) and the peak resident set of the tree. The
report says the rest: seconds of the per-record steps (prepare), of the decisions in the
calling process (exact, MinHash, novelty, indexing), the seconds the caller waited for
prepared chunks and the seconds workers spent preparing them. Every run must keep the same
records as the first.

    python bench/curate_dask.py [--records 50000] [--rounds 3] [--reposts 0.1] [--workdir DIR]
        [--ways single,pool2,dask2]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

from curate_scale import write_corpus

WAYS = {"single": ["--jobs", "0"], "pool2": ["--jobs", "2"], "dask2": ["--dask", "local:2"]}
# the report's seconds by step: the per-record steps (in the workers, except for `single`), and
# the decisions in the calling process; "minhash" holds both the signature (a per-record step)
# and the LSH lookup (a decision), so it is shown apart
PREPARE = ("filters", "output_checks", "structure", "pii", "features")
DECIDE = ("exact", "novelty", "indexing")


def run_once(work: Path, source: Path, way: str) -> dict[str, Any]:
    out, report = work / f"kept-{way}.jsonl", work / f"report-{way}.json"
    command = [sys.executable, "-m", "pipeline.cli", "curate", str(source), "--out", str(out)]
    command += ["--rejected", str(work / f"rejected-{way}.jsonl"), "--report", str(report), *WAYS[way]]
    started = time.perf_counter()
    with open(work / f"stderr-{way}.txt", "w") as errors:
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors)
        process, peak, main_cpu = psutil.Process(child.pid), 0, 0.0
        while True:
            try:
                members = [process] + process.children(recursive=True)
                peak = max(peak, sum(member.memory_info().rss for member in members))
                times = process.cpu_times()
                main_cpu = times.user + times.system
            except psutil.Error:
                pass
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            time.sleep(0.2)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        sys.exit(f"{way} failed ({child.returncode}): {(work / f'stderr-{way}.txt').read_text()[-2000:]}")
    summary = json.loads(report.read_text(encoding="utf-8"))
    seconds = summary["seconds_by_step"]
    return {
        "wall": wall,
        "tree_cpu": usage.ru_utime + usage.ru_stime,  # the command and every process it reaped
        "main_cpu": main_cpu,  # its own process, last sample (at most 0.2 s before exit)
        "peak_mb": peak / 2**20,
        "prepare_steps": sum(seconds.get(step, 0.0) for step in PREPARE),
        "minhash": seconds.get("minhash", 0.0),
        "decide": sum(seconds.get(step, 0.0) for step in DECIDE),
        "worker_chunks": summary["preparing"]["worker_seconds"],
        "waited": summary["preparing"]["waited_seconds"],
        "counts": summary["counts"],
        "kept_sha": hashlib.sha256(out.read_bytes()).hexdigest()[:16],
    }


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} ({min(values):.1f}-{max(values):.1f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--reposts", type=float, default=0.1)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument(
        "--ways",
        default=",".join(WAYS),
        help="comma-separated subset of " + ", ".join(WAYS) + "; 'single' is always run",
    )
    args = parser.parse_args()
    ways = ["single"] + [way for way in args.ways.split(",") if way and way != "single"]
    unknown = sorted(set(ways) - set(WAYS))
    if unknown:
        parser.error(f"unknown way(s) {', '.join(unknown)}; choose from {', '.join(WAYS)}")
    work = args.workdir or Path(tempfile.mkdtemp(prefix="seedforge-dask-"))
    work.mkdir(parents=True, exist_ok=True)
    source = work / "records.jsonl"
    write_corpus(source, args.records, args.seed, args.reposts)
    runs: dict[str, list[dict[str, Any]]] = {way: [] for way in ways}
    for round_number in range(args.rounds):
        order = ways[round_number % len(ways) :] + ways[: round_number % len(ways)]
        for way in order:
            result = run_once(work, source, way)
            runs[way].append(result)
            print(json.dumps({"round": round_number, "way": way, **result}), flush=True)
    first = runs["single"][0]
    assert all(
        r["kept_sha"] == first["kept_sha"] and r["counts"] == first["counts"]
        for v in runs.values()
        for r in v
    )
    print(
        f"\n{args.records:,} records (reposts {args.reposts}), {args.rounds} interleaved rounds, "
        "median (min-max)"
    )
    fields = (
        "wall",
        "tree_cpu",
        "main_cpu",
        "prepare_steps",
        "minhash",
        "decide",
        "worker_chunks",
        "waited",
        "peak_mb",
    )
    print("| way | " + " | ".join(fields) + " | speed-up vs single |")
    print("|" + " --- |" * (len(fields) + 2))
    for way, results in runs.items():
        ratios = [s["wall"] / r["wall"] for s, r in zip(runs["single"], results, strict=True)]
        cells = [spread([r[name] for r in results]) for name in fields]
        print(
            f"| {way} | "
            + " | ".join(cells)
            + f" | {statistics.median(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f}) |"
        )


if __name__ == "__main__":
    main()
