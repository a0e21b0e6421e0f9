"""A small corpus that reaches every curation step, for tests that compare two ways of curating
it (one process against Dask, the CLI against the flow)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

LINEAGE = {"generator": "test", "created_at": "2026-01-01T00:00:00+00:00"}
WORDS = (
    "river garden lamp violin copper harbor pencil meadow tunnel falcon orchard canvas glacier "
    "lantern saddle compass thunder velvet marble bakery ladder cactus piano window"
).split()
VERBS = ["Describe", "Explain", "Compare", "Summarize", "Outline", "Recommend"]


def sentence(rng: random.Random) -> str:
    a, b, c = rng.sample(WORDS, 3)
    return f"The {a} near the {b} is {rng.randint(2, 90)} steps from a {c}."


def mixed_corpus(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """Fresh records and every kind the steps drop: filter hits, refusals, PII (redacted and
    kept), exact repeats, whole-record reposts (MinHash), reworded instructions (ROUGE-L)."""
    rng, items = random.Random(seed), []
    for number in range(count):
        kind = rng.random()
        earlier = rng.choice(items) if items else None
        if earlier is not None and kind < 0.10:
            item = dict(earlier, instruction=earlier["instruction"].upper() + "  ")
        elif earlier is not None and kind < 0.20:
            words = earlier["instruction"].split()
            words[rng.randrange(len(words))] = rng.choice(WORDS)
            item = dict(earlier, instruction=" ".join(words))
        elif earlier is not None and kind < 0.28:
            item = dict(earlier, instruction=earlier["instruction"] + " Please be brief.")
            item["output"] = earlier["output"]
        elif kind < 0.33:
            item = {"instruction": f"Draw an image of a {rng.choice(WORDS)}.", "output": "I drew it."}
        elif kind < 0.37:
            item = {
                "instruction": f"{rng.choice(VERBS)} the {rng.choice(WORDS)} for a child.",
                "output": "I'm sorry, but I can't help with that request.",
            }
        else:
            topic = " ".join(rng.sample(WORDS, rng.randint(5, 8)))
            item = {
                "instruction": f"{rng.choice(VERBS)} how {topic} relate.",
                "output": " ".join(sentence(rng) for _ in range(rng.randint(2, 4))),
            }
            if kind > 0.95:
                item["input"] = f"Write to jo{number}@example.com or call +1 415 555 01{number % 90:02d}."
        items.append({"input": "", **item})
    return [dict(item, lineage=LINEAGE) for item in items]


def write_jsonl(path: Path, items: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(item) + "\n" for item in items), encoding="utf-8")
    return path


def comparable(summary: dict[str, Any]) -> dict[str, Any]:
    """The report without what differs between any two runs: times, paths, how records were
    prepared."""
    skip = {"finished_at", "seconds_by_step", "preparing", "output", "rejected_file"}
    return {key: value for key, value in summary.items() if key not in skip}
