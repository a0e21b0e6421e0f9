"""The hand-labelled quality sets in bench/data/quality/: one file per set and language
(`{set}_{language}.jsonl`), in the order they were written."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "quality"
ALL = ("labelled", "holdout", "final", "blind", "unseen", "tune3", "sealed", "generated")
LANGUAGES = ("en", "zh")


def labelled_files(names: tuple[str, ...] = ALL) -> list[tuple[str, str, Path]]:
    """(set, language, path) of each file there is, for the sets named."""
    found = []
    for name in names:
        for language in LANGUAGES:
            path = DATA / f"{name}_{language}.jsonl"
            if path.exists():
                found.append((name, language, path))
    return found
