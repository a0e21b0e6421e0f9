"""One benchmark child run against two seedforge checkouts (this one and a `git worktree` of
an older commit), interleaved, so that load on the shared machine hits both alike."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def round_order(roots: dict[str, Path], round_number: int) -> list[tuple[str, Path]]:
    """The checkouts in the order they run in this round: who goes first alternates, so that a
    machine drifting faster or slower over the rounds favours neither side."""
    order = list(roots.items())
    return order if round_number % 2 == 0 else order[::-1]


def interleaved_runs(child: str, baseline: Path, runs: int, *args: object) -> dict[str, list[Any]]:
    """`child` (Python source) in a fresh interpreter per run, with argv = the checkout's root,
    this bench folder, then `args`; it prints one JSON object. Returns each checkout's results
    ("baseline", "this") in run order, the first of each round alternating; each run is echoed
    to stderr as it ends."""
    roots = {"baseline": baseline.resolve(), "this": HERE.parent}
    results: dict[str, list[Any]] = {name: [] for name in roots}
    for round_number in range(runs):
        for name, root in round_order(roots, round_number):
            out = subprocess.run(
                [sys.executable, "-c", child, str(root), str(HERE), *map(str, args)],
                check=True,
                capture_output=True,
                text=True,
                cwd=root,
            )
            results[name].append(json.loads(out.stdout))
            print(name, out.stdout.strip(), file=sys.stderr, flush=True)
    return results
