"""How far the CJK-aware token estimate (`pipeline.llm.tokens.estimate_tokens`) and the old
characters / 3 rule are from real tokenizers, on the shipped English and Chinese seed files.

    python bench/token_estimates.py [--json]

Tokenizers: the embedded model's (SmolLM2, read from its GGUF; the first run converts it with
transformers and caches it under DATA_DIR/models), and tiktoken's cl100k_base and o200k_base
when tiktoken is installed and their files are in its cache (seedforge never downloads them).
Each row: tokens counted over every instruction, input and output of the seed file, and the
estimate's error relative to them (negative: the estimate is low)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.llm.embedded import EMBEDDED_MODEL_NAME
from pipeline.llm.tokens import (
    CJK_TOKEN_CHARACTER,
    ESTIMATE,
    TokenCounter,
    _tiktoken_counter,
    counter_for,
)
from pipeline.settings import SEEDS_DIR


def seed_texts(language: str) -> list[str]:
    texts: list[str] = []
    for line in (SEEDS_DIR / f"seed_tasks_{language}.jsonl").read_text(encoding="utf-8").splitlines():
        task = json.loads(line)
        texts.append(task["instruction"])
        texts += [
            value for instance in task["instances"] for value in (instance["input"], instance["output"])
        ]
    return [text for text in texts if text]


def old_rule(text: str) -> int:
    return len(text) // 3  # the estimate before: characters / 3


def measure() -> list[dict[str, object]]:
    counters: list[TokenCounter] = [counter_for(EMBEDDED_MODEL_NAME)]
    counters += [c for c in (_tiktoken_counter("cl100k_base"), _tiktoken_counter("o200k_base")) if c]
    rows: list[dict[str, object]] = []
    for language in ("en", "zh"):
        texts = seed_texts(language)
        chars = sum(len(t) for t in texts)
        cjk = sum(len(CJK_TOKEN_CHARACTER.findall(t)) for t in texts)
        estimate = sum(ESTIMATE.count(t) for t in texts)
        old = sum(old_rule(t) for t in texts)
        for counter in counters:
            real = sum(counter.count(t) for t in texts)
            rows.append(
                {
                    "seeds": language,
                    "texts": len(texts),
                    "characters": chars,
                    "cjk_characters": cjk,
                    "tokenizer": counter.name,
                    "tokens": real,
                    "estimate": estimate,
                    "estimate_error": round(estimate / real - 1, 3),
                    "chars_div_3": old,
                    "chars_div_3_error": round(old / real - 1, 3),
                }
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="rows as JSON")
    args = parser.parse_args()
    rows = measure()
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    print("| seeds | tokenizer | tokens | estimate (error) | chars / 3 (error) |")
    print("| --- | --- | ---: | ---: | ---: |")
    for r in rows:
        print(
            f"| {r['seeds']} ({r['texts']} texts, {r['characters']} chars, {r['cjk_characters']} CJK) "
            f"| {r['tokenizer']} | {r['tokens']} | {r['estimate']} ({r['estimate_error']:+.1%}) "
            f"| {r['chars_div_3']} ({r['chars_div_3_error']:+.1%}) |"
        )


if __name__ == "__main__":
    main()
