"""Benchmark: seedforge's ROUGE-L novelty filter against the exhaustive rule, in one run.

Corpus: N English instructions with realistic near-duplicates (bench/synthetic.py). Both sides
apply the same rule in the same order — keep a text only if its ROUGE-L F1 against every
text kept so far is <= the threshold — over the same CJK-aware tokens (tokenisation is done
once, up front, and not timed for either side):

- reference: the Alpaca/self-instruct loop, each candidate scored against every kept text
  with rouge-score's `_score_lcs`, through a multiprocessing pool (`pool.map`);
- seedforge: `NoveltyIndex` (prefix-filtered inverted index, exact).

Reported: both times and the speed-up; drops seedforge makes whose named partner does not
really exceed the threshold (re-scored with rouge-score's public `RougeScorer` and the same
tokenizer), and the share of the reference's drops seedforge also makes.

    python bench/novelty.py [--texts 5000] [--threshold 0.7] [--workers 2] [--sample N]

`--sample N` times the reference on N randomly chosen candidates only (each against the
texts kept before it) and extrapolates its total time; decisions are then compared on those
candidates. The default runs the full reference.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import sys
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rouge_score import rouge_scorer
from synthetic import InstructionGenerator

from pipeline.curate.novelty import NoveltyIndex
from pipeline.text import CJKTokenizer, tokenize


def warm_up(threshold: float) -> float:
    """Load the compiled kernels (numba's cache; compiled on a first run) and rouge-score:
    once per process, so not part of the filter's time, but reported."""
    from pipeline.curate import novelty_kernels

    started = time.perf_counter()
    novelty_kernels.warm_up()
    index = NoveltyIndex(threshold)
    index.add("a", tokenize("write a short poem about the sea"))
    index.find_near(tokenize("write a long poem about the sea"))
    return time.perf_counter() - started


def seedforge_run(tokens: list[list[str]], threshold: float) -> tuple[float, dict[int, tuple[int, float]]]:
    index = NoveltyIndex(threshold)
    drops: dict[int, tuple[int, float]] = {}
    started = time.perf_counter()
    for n, text in enumerate(tokens):
        near = index.find_near(text)
        if near is None:
            index.add(str(n), text)
        else:
            drops[n] = (int(near.partner_id), near.score)
    return time.perf_counter() - started, drops


def reference_decision(pool, kept: list[list[str]], text: list[str], threshold: float) -> bool:
    if not kept:
        return False
    scores = pool.map(partial(rouge_scorer._score_lcs, text), kept)
    return max(score.fmeasure for score in scores) > threshold


def reference_run(tokens: list[list[str]], threshold: float, workers: int) -> tuple[float, set[int]]:
    kept: list[list[str]] = []
    drops: set[int] = set()
    with multiprocessing.Pool(workers) as pool:
        started = time.perf_counter()
        for n, text in enumerate(tokens):
            if reference_decision(pool, kept, text, threshold):
                drops.add(n)
            else:
                kept.append(text)
        return time.perf_counter() - started, drops


def reference_sample(
    tokens: list[list[str]], kept_before: list[list[int]], sample: list[int], threshold: float, workers: int
) -> tuple[float, set[int]]:
    """The reference's decision for sampled candidates, against the texts kept before each
    (seedforge's kept list: identical wherever the two agree, which is what is measured)."""
    drops: set[int] = set()
    with multiprocessing.Pool(workers) as pool:
        started = time.perf_counter()
        for n in sample:
            if reference_decision(pool, [tokens[k] for k in kept_before[n]], tokens[n], threshold):
                drops.add(n)
        return time.perf_counter() - started, drops


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=5000)
    parser.add_argument("--threshold", type=float, default=0.7)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sample", type=int, default=0, help="time the reference on N candidates only")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    stream = iter(InstructionGenerator(seed=args.seed, near_dup=0.3, exact_dup=0.05, names=20_000))
    kinds, texts = zip(*(next(stream) for _ in range(args.texts)), strict=True)
    tokens = [tokenize(text) for text in texts]

    warm = warm_up(args.threshold)
    runs = [seedforge_run(tokens, args.threshold) for _ in range(3)]  # a shared machine: median of 3
    assert all(drops == runs[0][1] for _, drops in runs)
    ours, our_drops = sorted(seconds for seconds, _ in runs)[1], runs[0][1]
    scorer = rouge_scorer.RougeScorer(["rougeL"], tokenizer=CJKTokenizer())
    unjustified = [
        n
        for n, (partner, _) in our_drops.items()
        if scorer.score(texts[partner], texts[n])["rougeL"].fmeasure <= args.threshold
    ]

    if args.sample:
        kept_before, kept = [], []
        for n in range(len(tokens)):
            kept_before.append(list(kept))
            if n not in our_drops:
                kept.append(n)
        sample = sorted(random.Random(args.seed).sample(range(len(tokens)), args.sample))
        reference, ref_drops = reference_sample(tokens, kept_before, sample, args.threshold, args.workers)
        reference_total = reference * len(tokens) / len(sample)
        compared = set(sample)
    else:
        reference, ref_drops = reference_run(tokens, args.threshold, args.workers)
        reference_total = reference
        compared = set(range(len(tokens)))

    ours_on_compared = {n for n in our_drops if n in compared}
    found = len(ref_drops & ours_on_compared)
    result = {
        "texts": len(texts),
        "near_duplicates_generated": kinds.count("near"),
        "exact_repeats_generated": kinds.count("exact"),
        "threshold": args.threshold,
        "workers": args.workers,
        "reference_sampled": args.sample or None,
        "seedforge_seconds_median_of_3": round(ours, 3),
        "seedforge_warm_up_seconds": round(warm, 3),
        "reference_seconds": round(reference, 2),
        "reference_seconds_total": round(reference_total, 1),
        "speedup": round(reference_total / ours, 1),
        "seedforge_drops": len(our_drops),
        "reference_drops": len(ref_drops),
        "reference_drops_found": found,
        "recall": round(found / len(ref_drops), 4) if ref_drops else 1.0,
        "extra_drops": len(ours_on_compared - ref_drops),
        "unjustified_drops": len(unjustified),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
