"""Benchmark: `seedforge curate --steps novelty`, start to exit, against the exhaustive rule.

Corpora (deterministic, written to JSONL untimed):
- `questions-en`, `questions-zh`: generated patient questions (bench/synthetic_questions.py),
  whose common words are in most texts, as real questions' are;
- `templates`: the template instructions of bench/synthetic.py (30 % near-duplicates).

Both sides apply the same rule in the same order — keep a text only if its ROUGE-L F1 against
every text kept so far is <= the threshold — over the same CJK-aware tokens:
- reference: the Alpaca/self-instruct loop, each candidate scored against every kept text
  with rouge-score's `_score_lcs` through `multiprocessing.Pool(workers).map`, on
  pre-tokenized texts (tokenising is not counted for it);
- seedforge, end to end: the real CLI in a child process, `python -m pipeline.cli curate
  FILE --out OUT --steps novelty --report REP`, from process start to exit (interpreter,
  imports, reading and validating records, tokenising, deciding, writing); split into
  start-up (the same command on an empty file), the index (the report's novelty + indexing
  seconds) and the rest (reading, tokenising, writing);
- seedforge, index only: `NoveltyIndex` in this process over the pre-tokenized texts.

Rounds are interleaved (each round runs every measurement once, in turn), so the machine's
load falls on both sides alike; figures are medians over the rounds with min-max. Unless
`--full-reference`, each round times the reference on a different stratified sample of the
candidates (every `1/share`-th, its own offset), each against the texts kept before it, and
scales by 1/share; the rounds' samples are disjoint. Decisions are compared on every sampled
candidate, and every drop seedforge makes is re-scored with rouge-score's public
`RougeScorer` against the partner it names.

    python bench/novelty.py [--corpora questions-en,questions-zh,templates] [--texts 5452]
        [--rounds 3] [--share 0.05 | --full-reference] [--workers 2]
"""

from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing
import statistics
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rouge_score import rouge_scorer
from synthetic import InstructionGenerator
from synthetic_questions import QuestionGenerator

from pipeline.curate.novelty import NoveltyIndex
from pipeline.text import CJKTokenizer, tokenize

CORPORA = ("questions-en", "questions-zh", "templates")


def corpus(name: str, count: int, seed: int) -> list[str]:
    if name == "templates":
        stream = iter(InstructionGenerator(seed=seed, near_dup=0.3, exact_dup=0.05, names=20_000))
    else:
        stream = iter(QuestionGenerator(name.split("-")[1], seed=seed))
    return [text for _, text in itertools.islice(stream, count)]


def write_records(path: Path, texts: list[str]) -> None:
    with open(path, "w", encoding="utf-8") as out:
        for text in texts:
            record = {"instruction": text, "input": "", "output": "See a doctor if it does not get better."}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def cli_run(source: Path, work: Path) -> tuple[float, dict[str, Any]]:
    """Wall seconds of the real command in a child process, and its report."""
    report = work / "report.json"
    command = [sys.executable, "-m", "pipeline.cli", "curate", str(source), "--out", str(work / "kept.jsonl")]
    command += ["--steps", "novelty", "--report", str(report)]
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started, json.loads(report.read_text(encoding="utf-8"))


def index_run(tokens: list[list[str]], threshold: float) -> tuple[float, dict[int, tuple[int, float]]]:
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


def reference_decision(pool: Any, kept: list[list[str]], text: list[str], threshold: float) -> bool:
    if not kept:
        return False
    scores = pool.map(partial(rouge_scorer._score_lcs, text), kept)
    return max(score.fmeasure for score in scores) > threshold


def reference_run(
    tokens: list[list[str]], candidates: list[int], kept_before: list[list[int]] | None, args: Any
) -> tuple[float, set[int]]:
    """The reference's decisions on `candidates`: against its own kept list when it runs
    them all in order (kept_before None), else against the texts kept before each (the same
    list wherever the two sides agree, which is what is checked)."""
    drops: set[int] = set()
    kept: list[list[str]] = []
    with multiprocessing.Pool(args.workers) as pool:
        started = time.perf_counter()
        for n in candidates:
            before = kept if kept_before is None else [tokens[k] for k in kept_before[n]]
            if reference_decision(pool, before, tokens[n], args.threshold):
                drops.add(n)
            elif kept_before is None:
                kept.append(tokens[n])
        return time.perf_counter() - started, drops


def spread(values: list[float], digits: int = 3) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
    }


def bench_corpus(name: str, args: Any, work: Path) -> dict[str, Any]:
    texts = corpus(name, args.texts or (5000 if name == "templates" else 5452), args.seed)
    tokens = [tokenize(text) for text in texts]
    source, empty = work / f"{name}.jsonl", work / "empty.jsonl"
    write_records(source, texts)
    empty.write_text("", encoding="utf-8")
    _, our_drops = index_run(tokens, args.threshold)
    kept_before, kept = [], []
    for n in range(len(tokens)):
        kept_before.append(list(kept))
        if n not in our_drops:
            kept.append(n)
    step = len(tokens) if args.full_reference else round(1 / args.share)
    rounds: dict[str, list[float]] = {
        key: [] for key in ("cli", "startup", "index", "rest", "in_process", "ref")
    }
    mismatches, compared = 0, 0
    for round_number in range(args.rounds):
        cli, report = cli_run(source, work)
        seconds = report["seconds_by_step"]
        assert report["counts"]["rejected"] == len(our_drops), "the CLI decided otherwise"
        startup, _ = cli_run(empty, work)
        in_process, drops = index_run(tokens, args.threshold)
        assert drops == our_drops
        if args.full_reference:
            reference, ref_drops = (
                reference_run(tokens, list(range(len(tokens))), None, args)
                if round_number == 0
                else (None, None)
            )
            sample = set(range(len(tokens)))
        else:
            sample_list = list(range(round_number % step, len(tokens), step))
            reference, ref_drops = reference_run(tokens, sample_list, kept_before, args)
            reference = reference * len(tokens) / len(sample_list)
            sample = set(sample_list)
        if ref_drops is not None:
            mismatches += len(ref_drops ^ {n for n in our_drops if n in sample})
            compared += len(sample)
        index = seconds.get("novelty", 0.0) + seconds.get("indexing", 0.0)
        for key, value in (
            ("cli", cli),
            ("startup", startup),
            ("index", index),
            ("rest", cli - startup - index),
            ("in_process", in_process),
            ("ref", reference),
        ):
            if value is not None:
                rounds[key].append(value)
    scorer = rouge_scorer.RougeScorer(["rougeL"], tokenizer=CJKTokenizer())
    unjustified = sum(
        scorer.score(texts[partner], texts[n])["rougeL"].fmeasure <= args.threshold
        for n, (partner, _) in our_drops.items()
    )
    lengths = [len(text) for text in tokens]
    references = rounds["ref"]  # one per round, or the full run's once: paired with each round
    paired = references if len(references) == args.rounds else references * args.rounds
    end_to_end = [ref / cli for ref, cli in zip(paired, rounds["cli"], strict=True)]
    index_only = [ref / ours for ref, ours in zip(paired, rounds["in_process"], strict=True)]
    return {
        "corpus": name,
        "texts": len(texts),
        "tokens_mean": round(statistics.mean(lengths), 1),
        "tokens_median": statistics.median(lengths),
        "drops": len(our_drops),
        "rounds": args.rounds,
        "reference": "full, once" if args.full_reference else f"every {step}th candidate, scaled ×{step}",
        "reference_seconds": spread(references, 1),
        "cli_seconds": spread(rounds["cli"]),
        "startup_seconds": spread(rounds["startup"]),
        "index_seconds_in_cli": spread(rounds["index"]),
        "read_tokenize_write_seconds": spread(rounds["rest"]),
        "index_only_seconds": spread(rounds["in_process"]),
        "speedup_end_to_end": spread(end_to_end, 0),
        "speedup_index_only": spread(index_only, 0),
        "candidates_compared": compared,
        "decisions_differing": mismatches,
        "drops_not_justified": unjustified,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", default=",".join(CORPORA))
    parser.add_argument("--texts", type=int, default=None, help="5452 questions, 5000 templates")
    parser.add_argument("--threshold", type=float, default=0.7)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--share", type=float, default=0.05, help="of candidates timed per round")
    parser.add_argument("--full-reference", action="store_true", help="the whole reference, in round 1")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="seedforge-novelty-") as work:
        for name in args.corpora.split(","):
            if name not in CORPORA:
                parser.error(f"unknown corpus {name!r}; known: {', '.join(CORPORA)}")
            print(json.dumps(bench_corpus(name, args, Path(work)), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
