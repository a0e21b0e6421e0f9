"""Benchmark: the novelty index as a million-record build grows it, this code against another
checkout of seedforge (a `git worktree` of an older commit), interleaved.

Each run is a child process that imports one checkout's `pipeline` and streams N records of
`bench/synthetic_records.py` (`--reposts 0.1`, the corpus of `bench/curate_scale.py`) through
what curation's last two steps do with the prompt side (instruction + input): exact dedup
after normalisation (a set, untimed), then `NoveltyIndex.find_near` and, for a novel text,
`add`. Only those two calls are timed; generating and tokenising records is not. The report
gives each checkout's median seconds over the runs with their range, the seconds per window
of records (the index's growth), peak RSS of the child, and a digest of the decisions, which
must be equal: both checkouts apply the same exact rule.

    python bench/novelty_scale.py --baseline /tmp/seedforge-old [--records 1000000] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

from checkouts import interleaved_runs

CHILD = r"""
import hashlib, json, resource, sys, time
from pathlib import Path
root, bench, records, window = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
sys.path[:0] = [str(root), str(bench)]
from pipeline.curate.dedup import exact_key
from pipeline.curate.novelty import NoveltyIndex
from pipeline.text import tokenize
from synthetic_records import record_stream

index, exact, digest = NoveltyIndex(0.7), set(), hashlib.sha256()
clock, seconds, windows, dropped = time.perf_counter, 0.0, [], 0
for n, record in enumerate(record_stream(0, 0.1), start=1):
    text = f"{record['instruction']}\n{record['input']}".strip()
    key = exact_key(text)
    if key not in exact:
        tokens = tokenize(text)
        started = clock()
        near = index.find_near(tokens)
        if near is None:
            index.add(str(n), tokens)
        seconds += clock() - started
        if near is None:
            exact.add(key)
        else:
            dropped += 1
            digest.update(f"{n}:{near.partner_id};".encode())
    if n % window == 0:
        windows.append(round(seconds - sum(windows), 2))
    if n == records:
        break
print(json.dumps({"seconds": seconds, "windows": windows, "kept": len(index), "novelty_dropped": dropped,
                  "digest": digest.hexdigest()[:16],
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True, help="another seedforge checkout")
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--window", type=int, default=100_000, help="records per growth window")
    args = parser.parse_args()
    runs = interleaved_runs(CHILD, args.baseline, args.runs, args.records, args.window)
    roots = list(runs)
    digests = {run["digest"] for name in roots for run in runs[name]}
    report: dict[str, object] = {
        "records": args.records,
        "runs": args.runs,
        "same_decisions": len(digests) == 1,
    }
    for name in roots:
        seconds = [float(run["seconds"]) for run in runs[name]]  # type: ignore[arg-type]
        report[name] = {
            "median_s": round(statistics.median(seconds), 1),
            "min_s": round(min(seconds), 1),
            "max_s": round(max(seconds), 1),
            "windows_s": [run["windows"] for run in runs[name]],
            "peak_rss_mb": [round(float(run["peak_rss_mb"])) for run in runs[name]],  # type: ignore[arg-type]
            "kept": runs[name][0]["kept"],
            "novelty_dropped": runs[name][0]["novelty_dropped"],
        }
    ratios = [
        float(old["seconds"]) / float(new["seconds"])  # type: ignore[arg-type]
        for old, new in zip(runs["baseline"], runs["this"], strict=True)
    ]
    report["speedup_median"] = round(statistics.median(ratios), 2)
    report["speedup_range"] = [round(min(ratios), 2), round(max(ratios), 2)]
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
