"""Benchmark: N synthetic instruction records through every curation step, streaming.

The records (bench/synthetic_records.py: 5 % Chinese records from six templates; the English
instructions are fresh (Zipf over a 60,000-word vocabulary), near-duplicate instructions (25 %)
or exact repeats (5 %), 30 % with an input; 2 % filter hits or bad answers, 1 % with PII;
`--reposts S`: a share S of records that repost an earlier record whole, instruction edited,
same answer, which MinHash should catch) are written to a JSONL file first, not timed. Then
the real CLI runs in a child process —
`seedforge curate IN --out OUT --rejected R --report REP --index DIR` with all six steps —
and its wall time and peak RSS are measured: the resident set of the curating process plus
its worker, summed, sampled every 0.2 s.

With `--baseline DIR` (a `git worktree` of an older commit) the same corpus goes through both
checkouts' CLI, interleaved, `--runs` times each, the first of each round alternating (each
child runs in its checkout's root, so it imports that checkout's `pipeline`); the summary gives
each one's median wall time and peak RSS with their ranges, the ratio of the medians, the
ratio round by round, and whether kept and rejected records were the same in every run.

    python bench/curate_scale.py [--records 1000000] [--reposts 0.1] [--workdir DIR] [--no-index]
                                 [--baseline DIR --runs 3]
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

from checkouts import round_order
from synthetic_records import record_stream


def write_corpus(path: Path, count: int, seed: int, reposts: float) -> float:
    started = time.perf_counter()
    with open(path, "w", encoding="utf-8") as out:
        for record in itertools.islice(record_stream(seed, reposts), count):
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return time.perf_counter() - started


def peak_tree_rss(child: subprocess.Popen) -> int:
    """Largest sum of resident set sizes of the child and its descendants while it runs."""
    process, peak = psutil.Process(child.pid), 0
    while child.poll() is None:
        try:
            members = [process] + process.children(recursive=True)
            peak = max(peak, sum(member.memory_info().rss for member in members))
        except psutil.Error:
            pass
        time.sleep(0.2)
    return peak


def _digest(path: Path) -> str:
    """Of the records in a JSONL output, without the import time each run stamps on them."""
    digest = hashlib.sha256()
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            lineage = row.get("record", row).get("lineage")
            if isinstance(lineage, dict):
                lineage.pop("created_at", None)
            digest.update(json.dumps(row, sort_keys=True).encode("utf-8"))
    return digest.hexdigest()


def run_once(root: Path, source: Path, work: Path, index: bool) -> dict:
    """The CLI of the checkout at `root` over `source`, a first build of its index."""
    shutil.rmtree(work / "index", ignore_errors=True)  # each run is the first build of its index
    command = [
        sys.executable,
        "-m",
        "pipeline.cli",
        "curate",
        str(source),
        "--out",
        str(work / "kept.jsonl"),
        "--rejected",
        str(work / "rejected.jsonl"),
        "--report",
        str(work / "report.json"),
    ]
    if index:
        command += ["--index", str(work / "index"), "--build", "scale"]
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=root)
    peak = peak_tree_rss(child)
    _stdout, stderr = child.communicate()
    wall = time.perf_counter() - started
    if child.returncode != 0:
        sys.exit(f"curate failed ({child.returncode}):\n{stderr}")
    report = json.loads((work / "report.json").read_text(encoding="utf-8"))
    return {
        "wall_seconds": round(wall, 1),
        "peak_rss_mb": round(peak / 2**20),
        "counts": report["counts"],
        "rejected_by_step": report["rejected_by_step"],
        "rejected_by_reason": report["rejected_by_reason"],
        "pii": report["pii"],
        "seconds_by_step": report["seconds_by_step"],
        "preparing": report.get("preparing"),
        "outputs": _digest(work / "kept.jsonl") + _digest(work / "rejected.jsonl"),
    }


def _spread(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--reposts", type=float, default=0.0, help="share of whole-record reposts")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--no-index", action="store_true", help="without the persistent index")
    parser.add_argument("--baseline", type=Path, default=None, help="another checkout, run interleaved")
    parser.add_argument("--runs", type=int, default=1, help="runs of each checkout")
    args = parser.parse_args()

    work = args.workdir or Path(tempfile.mkdtemp(prefix="seedforge-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    source = work / "records.jsonl"
    generated = write_corpus(source, args.records, args.seed, args.reposts)
    roots = {"this": Path(__file__).resolve().parents[1]}
    if args.baseline is not None:
        roots = {"baseline": args.baseline.resolve(), **roots}
    runs: dict[str, list[dict]] = {name: [] for name in roots}
    for round_number in range(args.runs):
        for name, root in round_order(roots, round_number):
            run = run_once(root, source, work, not args.no_index)
            runs[name].append(run)
            print(name, run["wall_seconds"], json.dumps(run["seconds_by_step"]), file=sys.stderr, flush=True)
    result = {
        "records": args.records,
        "reposts": args.reposts,
        "input_mb": round(source.stat().st_size / 2**20, 1),
        "generate_seconds_untimed": round(generated, 1),
        "index": not args.no_index,
        "runs": runs,
        "summary": {
            name: {
                "wall_seconds": _spread([run["wall_seconds"] for run in done]),
                "peak_rss_mb": _spread([run["peak_rss_mb"] for run in done]),
            }
            for name, done in runs.items()
        },
        "same_outputs_in_every_run": len({run["outputs"] for done in runs.values() for run in done}) == 1,
        "workdir": str(work),
    }
    if args.baseline is not None:
        summary = result["summary"]
        result["speedup_of_medians"] = round(
            summary["baseline"]["wall_seconds"]["median"] / summary["this"]["wall_seconds"]["median"], 2
        )
        result["speedup_round_by_round"] = [
            round(old["wall_seconds"] / new["wall_seconds"], 2)
            for old, new in zip(runs["baseline"], runs["this"], strict=True)
        ]
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
