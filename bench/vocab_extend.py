"""Vocabulary extension on a built corpus: tokens per 1,000 characters of held-out text before
and after, for several --add sizes, and the time each extension takes (learning, resizing and
saving the model included).

    python bench/vocab_extend.py --corpus medical --add 1000 2000 4000 \\
        [--general seeds/corpora/general_zh.txt] [--min-frequency 2] [--json]

The corpus comes from `seedforge corpus build` (e.g. the shipped seeds/corpora/medical_zh);
the base model is the corpus manifest's. `--general`: a Chinese text outside the domain,
measured with both tokenizers too (how much of the gain is the domain's)."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.errors import SeedforgeError
from pipeline.vocab.extend import extend_vocab
from pipeline.vocab.measure import densities


def _general(path: Path | None, out: Path, base_model: str) -> dict[str, Any] | None:
    if path is None:
        return None
    from transformers import AutoTokenizer

    paragraphs = [p for p in path.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    before = AutoTokenizer.from_pretrained(base_model).backend_tokenizer
    after = AutoTokenizer.from_pretrained(out).backend_tokenizer
    return densities(paragraphs, before, after)["zh"].model_dump()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--add", type=int, nargs="+", default=[1000, 2000, 4000])
    parser.add_argument("--min-frequency", type=int, default=2)
    parser.add_argument("--general", type=Path)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as work:
        for add in args.add:
            out = Path(work) / f"add{add}"
            try:
                info = extend_vocab(args.corpus, add, out, min_frequency=args.min_frequency)
            except SeedforgeError as exc:
                rows.append({"add": add, "refused": str(exc)})
                continue
            rows.append(
                {
                    "add": add,
                    "heldout_zh": info.tokens_per_1000_chars.model_dump(),
                    "heldout_all": info.tokens_per_1000_chars_all.model_dump(),
                    "general_zh": _general(args.general, out, info.base_model),
                    "seconds": info.seconds,
                }
            )
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    print(
        "| --add | held-out zh before → after (per 1,000 chars) | reduction | all held-out | general zh | s |"
    )
    print("| ---: | --- | ---: | ---: | ---: | ---: |")
    for row in rows:
        if "refused" in row:
            print(f"| {row['add']} | refused: {row['refused'].split(': ', 1)[-1]} | | | | |")
            continue
        zh, every, general = row["heldout_zh"], row["heldout_all"], row["general_zh"]
        print(
            f"| {row['add']} | {zh['before']:,.1f} → {zh['after']:,.1f} | {zh['reduction']:.1%} | "
            f"{every['reduction']:.1%} | {general['reduction']:.1%} | {row['seconds']:.1f} |"
            if general
            else f"| {row['add']} | {zh['before']:,.1f} → {zh['after']:,.1f} | {zh['reduction']:.1%} | "
            f"{every['reduction']:.1%} | – | {row['seconds']:.1f} |"
        )


if __name__ == "__main__":
    main()
