"""One progress line per stage, on the terminal and in Prefect's logs alike."""

from __future__ import annotations

import sys


def stage_line(stage: str, message: str) -> None:
    print(f"[{stage:>8}] {message}", file=sys.stdout, flush=True)
