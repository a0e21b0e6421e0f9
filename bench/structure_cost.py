"""Benchmark: the cost per record of the structural checks (`check_structure`), this code
against another checkout of seedforge (a `git worktree` of an older commit), interleaved.

Each run is a child process that imports one checkout's `pipeline`, builds the records
(untimed: N synthetic records of `bench/synthetic_records.py` as `seedforge curate` reads a
plain Alpaca file, with `--reposts` 0 and 0.1, and the hand-labelled sets of
bench/data/quality/, whose lineage turns on the language check) and times `check_structure`
over them once. Runs alternate between the checkouts; the report gives each corpus's median
µs per record with its range, and the ratio of the medians.

    python bench/structure_cost.py --baseline /tmp/seedforge-old [--records 20000] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

from checkouts import interleaved_runs

CHILD = r"""
import itertools, json, sys, time
from pathlib import Path
root, bench, records = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
sys.path[:0] = [str(root), str(bench)]
from pipeline.curate.config import StructureConfig
from pipeline.curate.io import to_record
from pipeline.curate.structure import check_structure
from pipeline.curate.structure.measure import read_labelled
from synthetic_records import record_stream

corpora = {
    f"synthetic, reposts {share}": [
        to_record(data, Path("synthetic"), line)
        for line, data in enumerate(itertools.islice(record_stream(0, share), records))
    ]
    for share in (0.0, 0.1)
}
corpora["labelled sets"] = [
    item.record for path in sorted((bench / "data/quality").glob("*.jsonl")) for item in read_labelled(path)
]
config = StructureConfig()
cost = {}
for name, corpus in corpora.items():
    check_structure(corpus[0], config)  # patterns compiled, templates read
    started = time.perf_counter()
    dropped = sum(check_structure(record, config) is not None for record in corpus)
    cost[name] = {"us_per_record": (time.perf_counter() - started) / len(corpus) * 1e6,
                  "records": len(corpus), "dropped": dropped}
print(json.dumps(cost))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True, help="another seedforge checkout")
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    runs = interleaved_runs(CHILD, args.baseline, args.runs, args.records)
    roots = list(runs)
    report: dict[str, object] = {"records": args.records, "runs": args.runs}
    for corpus in runs["this"][0]:
        row: dict[str, object] = {}
        for name in roots:
            costs = [run[corpus]["us_per_record"] for run in runs[name]]
            row[name] = {
                "median_us": round(statistics.median(costs), 1),
                "min_us": round(min(costs), 1),
                "max_us": round(max(costs), 1),
                "dropped": runs[name][0][corpus]["dropped"],
            }
        medians = [row[name]["median_us"] for name in roots]  # type: ignore[index]
        row["speedup"] = round(medians[0] / medians[1], 2)
        report[corpus] = row
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
