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

    python bench/curate_scale.py [--records 1000000] [--reposts 0.1] [--workdir DIR] [--no-index]
"""

from __future__ import annotations

import argparse
import itertools
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--reposts", type=float, default=0.0, help="share of whole-record reposts")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--no-index", action="store_true", help="without the persistent index")
    args = parser.parse_args()

    work = args.workdir or Path(tempfile.mkdtemp(prefix="seedforge-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(work / "index", ignore_errors=True)  # each run is the first build of its index
    source = work / "records.jsonl"
    generated = write_corpus(source, args.records, args.seed, args.reposts)
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
    if not args.no_index:
        command += ["--index", str(work / "index"), "--build", "scale"]
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = peak_tree_rss(child)
    stdout, stderr = child.communicate()
    wall = time.perf_counter() - started
    if child.returncode != 0:
        sys.exit(f"curate failed ({child.returncode}):\n{stderr}")
    report = json.loads((work / "report.json").read_text(encoding="utf-8"))
    result = {
        "records": args.records,
        "reposts": args.reposts,
        "input_mb": round(source.stat().st_size / 2**20, 1),
        "generate_seconds_untimed": round(generated, 1),
        "wall_seconds": round(wall, 1),
        "records_per_second": round(args.records / wall),
        "peak_rss_mb": round(peak / 2**20),
        "index": not args.no_index,
        "counts": report["counts"],
        "rejected_by_step": report["rejected_by_step"],
        "rejected_by_reason": report["rejected_by_reason"],
        "pii": report["pii"],
        "seconds_by_step": report["seconds_by_step"],
        "workdir": str(work),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
