"""Generated documents for the corpus build tests: English prose that passes the quality rules,
each document different (seeded), plus the special cases the tests look for."""

from __future__ import annotations

import random
from pathlib import Path

WORDS = (
    "the of and to in is that it was for on are as with they be at one have this from or had by "
    "word but what some we can out other were all there when up use your how said an each which do "
    "their time if will way about many then them write would like so these long make thing see two "
    "has look more day could go come did number sound most people over know water than call first "
    "who may down side been now find river garden market table window winter summer letter station"
).split()
SHARED_PARAGRAPH = (
    "The committee reviewed the annual figures in detail and agreed to meet again in the spring "
    "to discuss what the next steps should be."
)
EMAIL = "maria.lopez@example.org"


def prose(seed: int, sentences: int = 10) -> str:
    rng = random.Random(seed)
    out = []
    for _ in range(sentences):
        words = [rng.choice(WORDS) for _ in range(rng.randint(9, 18))]
        out.append(" ".join(words).capitalize() + ".")
    return " ".join(out)


def document(seed: int, shared: bool = False) -> str:
    parts = [prose(seed), prose(seed + 10_000, 6)]
    if shared:
        parts.insert(1, SHARED_PARAGRAPH)
    return "\n\n".join(parts) + "\n"


def write_docs(folder: Path, count: int, *, shared: bool = True, start: int = 0) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(start, start + count):
        path = folder / f"doc{n:04d}.txt"
        path.write_text(document(n, shared=shared), encoding="utf-8")
        paths.append(path)
    return paths
