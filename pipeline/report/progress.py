"""One progress line per stage, on the terminal and in Prefect's logs alike; `seedforge --quiet`
turns them off (`set_progress_lines`)."""

from __future__ import annotations

import sys

_enabled = True


def set_progress_lines(enabled: bool) -> None:
    global _enabled
    _enabled = enabled


def progress_lines_on() -> bool:
    return _enabled


def stage_line(stage: str, message: str) -> None:
    if _enabled:
        print(f"[{stage:>8}] {message}", file=sys.stderr, flush=True)  # stdout: results only
