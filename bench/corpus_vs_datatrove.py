"""Benchmark: `seedforge corpus build` against datatrove 0.10.1 on the same generated documents.

The documents come from bench/synthetic_documents.py (`documents(profile, seed)`, cut at a byte
budget of UTF-8 text) and are written as one JSONL file ({"id", "text"}) before anything is timed:

- friendly: clean English prose, 1 % exact and 1 % near duplicates;
- hard: half English, half Chinese, long documents, 10 % exact and 30 % near duplicates.

Each system runs in a child process; wall time and peak RSS (the child and all its descendants,
summed, sampled every 0.1 s with psutil) are measured. Both are held to one thread
(RAYON_NUM_THREADS=1, OMP_NUM_THREADS=1, SEEDFORGE_TORCH_THREADS=1) and datatrove's
LocalPipelineExecutor runs with workers=1.

- seedforge: `seedforge corpus build FILE --name N --block-size 256`, every default stage
  (boilerplate lines, language id, quality, exact + MinHash dedup, repeated paragraphs, PII,
  held-out split, tokenisation with the embedded SmolLM2 tokenizer and packing into blocks).
- datatrove: JsonlReader -> GopherRepetitionFilter -> GopherQualityFilter -> C4QualityFilter ->
  JsonlWriter, then MinHash stages 1-4 (signatures, buckets (14 tasks, one at a time), cluster,
  filter) -> JsonlWriter, and, in the "+ tokenise" variant, DocumentTokenizer with the same
  tokenizer.json (EOS after each document, no shuffling). For the hard corpus datatrove is
  told each document's language (the generator writes English and Chinese to separate files,
  untimed) and its filters run with language "en" resp. "zh" (spaCy + jieba words);
  seedforge detects the language itself.

Memory flat check: seedforge on the friendly profile at 1x and SCALEx the byte budget.

    python bench/corpus_vs_datatrove.py [--mb 4] [--runs 3] [--scale 4] [--workdir DIR]
        [--datatrove-python PY]    # an interpreter with `pip install -e .[bench]`
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic_documents import documents

ONE_THREAD = {"RAYON_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "SEEDFORGE_TORCH_THREADS": "1"}
CJK_START = 0x4E00


def write_corpus(folder: Path, profile: str, seed: int, budget: int) -> dict[str, int]:
    """folder/docs.jsonl (all) and folder/by_language/{en,zh}.jsonl (the same rows split)."""
    (folder / "by_language").mkdir(parents=True, exist_ok=True)
    total = count = 0
    outs = {
        lang: open(folder / "by_language" / f"{lang}.jsonl", "w", encoding="utf-8") for lang in ("en", "zh")
    }
    with open(folder / "docs.jsonl", "w", encoding="utf-8") as out:
        for row in documents(profile, seed):
            line = json.dumps(row, ensure_ascii=False) + "\n"
            out.write(line)
            chinese = sum(ord(c) >= CJK_START for c in row["text"][:200]) > 20
            outs["zh" if chinese else "en"].write(line)
            total += len(row["text"].encode("utf-8"))
            count += 1
            if total >= budget:
                break
    for handle in outs.values():
        handle.close()
    return {"documents": count, "bytes": total}


def measure(command: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    started = time.perf_counter()
    child = subprocess.Popen(
        command,
        env={**os.environ, **ONE_THREAD, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    process, peak = psutil.Process(child.pid), 0
    while child.poll() is None:
        try:
            members = [process, *process.children(recursive=True)]
            peak = max(peak, sum(member.memory_info().rss for member in members))
        except psutil.Error:
            pass
        time.sleep(0.1)
    output = child.communicate()[0]
    wall = time.perf_counter() - started
    if child.returncode != 0:
        raise SystemExit(f"{command[:4]} failed ({child.returncode}):\n{output[-3000:]}")
    return wall, peak, output


def seedforge_command(source: Path, name: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pipeline.cli",
        "corpus",
        "build",
        str(source),
        "--name",
        name,
        "--block-size",
        "256",
    ]


def datatrove_child(args: argparse.Namespace) -> None:
    """Runs inside the datatrove interpreter: the whole datatrove pipeline, stage after stage."""
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup import (
        MinhashConfig,
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupFilter,
        MinhashDedupSignature,
    )
    from datatrove.pipeline.filters import C4QualityFilter, GopherQualityFilter, GopherRepetitionFilter
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.tokens import DocumentTokenizer
    from datatrove.pipeline.writers import JsonlWriter

    work, inputs = Path(args.out), Path(args.input)
    languages = [path.stem for path in sorted(inputs.glob("*.jsonl")) if path.stat().st_size]

    def execute(name: str, pipeline: list, tasks: int = 1) -> None:
        LocalPipelineExecutor(
            pipeline=pipeline,
            tasks=tasks,
            workers=1,
            logging_dir=str(work / "logs" / name),
            skip_completed=False,
        ).run()

    for lang in languages:
        execute(
            f"filter_{lang}",
            [
                JsonlReader(str(inputs), glob_pattern=f"{lang}.jsonl"),
                GopherRepetitionFilter(language=lang),
                GopherQualityFilter(language=lang),
                C4QualityFilter(language=lang),
                JsonlWriter(str(work / "filtered"), output_filename=f"{lang}.jsonl", compression=None),
            ],
        )
    dedup_language = "zh" if "zh" in languages else "en"
    config = MinhashConfig()
    execute(
        "minhash1",
        [
            JsonlReader(str(work / "filtered")),
            MinhashDedupSignature(str(work / "signatures"), config=config, language=dedup_language),
        ],
    )
    execute(
        "minhash2",
        [MinhashDedupBuckets(str(work / "signatures"), str(work / "buckets"), config=config)],
        tasks=config.num_buckets,
    )
    execute("minhash3", [MinhashDedupCluster(str(work / "buckets"), str(work / "remove_ids"), config=config)])
    final: list = [
        JsonlReader(str(work / "filtered")),
        MinhashDedupFilter(str(work / "remove_ids")),
        JsonlWriter(str(work / "deduped"), output_filename="kept.jsonl", compression=None),
    ]
    if args.tokenizer:
        final.append(
            DocumentTokenizer(
                str(work / "tokens"),
                tokenizer_name_or_path=args.tokenizer,
                eos_token="<|endoftext|>",
                shuffle_documents=False,
            )
        )
    execute("minhash4", final)


def run_datatrove(python: str, inputs: Path, out: Path, tokenizer: str | None) -> tuple[float, int, int]:
    shutil.rmtree(out, ignore_errors=True)
    command = [python, __file__, "--datatrove-child", "--input", str(inputs), "--out", str(out)]
    if tokenizer:
        command += ["--tokenizer", tokenizer]
    wall, peak, _ = measure(command, {})
    kept = sum(1 for _ in open(out / "deduped" / "kept.jsonl", encoding="utf-8"))
    return wall, peak, kept


def run_seedforge(source: Path, data: Path, name: str) -> tuple[float, int, int, dict]:
    wall, peak, _ = measure(seedforge_command(source, name), {"SEEDFORGE_DATA_DIR": str(data)})
    latest = max((data / "corpora" / name).glob("v*"), key=lambda p: int(p.name[1:]))
    manifest = json.loads((latest / "manifest.json").read_text())
    shutil.rmtree(latest)  # keep the disk small; the next run builds v1 again
    return wall, peak, manifest["counts"]["kept"], manifest


def summary(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} ({min(values):.1f}-{max(values):.1f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=4.0, help="UTF-8 text per corpus, in MB")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scale", type=int, default=4, help="memory check: seedforge at 1x and SCALEx")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--profiles", nargs="+", default=["friendly", "hard"])
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--datatrove-python", default=sys.executable)
    parser.add_argument("--datatrove-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--input", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--tokenizer", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.datatrove_child:
        datatrove_child(args)
        return

    work = args.workdir or Path(tempfile.mkdtemp(prefix="seedforge-corpus-bench-"))
    data = work / "data"
    os.environ["SEEDFORGE_DATA_DIR"] = str(data)
    from pipeline.train.base_model import prepare_base_model

    tokenizer = str(Path(prepare_base_model(None)) / "tokenizer.json")  # converted once, untimed
    budget = int(args.mb * 1_000_000)
    results: dict[str, dict] = {}
    for profile in args.profiles:
        corpus = write_corpus(work / profile, profile, args.seed, budget)
        print(f"{profile}: {corpus['documents']:,} documents, {corpus['bytes']:,} bytes", flush=True)
        rows: dict[str, dict[str, list[float]]] = {}
        systems = ["seedforge", "datatrove", "datatrove+tok"]
        for run in range(args.runs):
            for system in systems[run % 3 :] + systems[: run % 3]:  # interleaved, rotating order
                if system == "seedforge":
                    wall, peak, kept, manifest = run_seedforge(work / profile / "docs.jsonl", data, profile)
                    extra = manifest["splits"]["train"]["tokens"] + manifest["splits"]["heldout"]["tokens"]
                else:
                    wall, peak, kept = run_datatrove(
                        args.datatrove_python,
                        work / profile / "by_language",
                        work / profile / f"out-{system}",
                        tokenizer if system.endswith("tok") else None,
                    )
                    extra = 0
                entry = rows.setdefault(system, {"wall": [], "rss_mb": [], "kept": [], "tokens": []})
                entry["wall"].append(wall)
                entry["rss_mb"].append(peak / 2**20)
                entry["kept"].append(kept)
                entry["tokens"].append(extra)
                print(
                    f"  run {run + 1} {system:<14} {wall:7.1f} s {peak / 2**20:8.0f} MB kept {kept:,}",
                    flush=True,
                )
        results[profile] = {"corpus": corpus, "systems": rows}
    memory: dict[str, float] = {}
    if args.scale > 1:
        for factor in (1, args.scale):
            folder = work / f"scale{factor}"
            corpus = write_corpus(folder, "friendly", args.seed, budget * factor)
            wall, peak, kept, _ = run_seedforge(folder / "docs.jsonl", data, f"scale{factor}")
            memory[f"{factor}x"] = peak / 2**20
            print(
                f"memory {factor}x ({corpus['bytes']:,} bytes): {wall:.1f} s, {peak / 2**20:.0f} MB",
                flush=True,
            )
    (work / "results.json").write_text(json.dumps({"results": results, "memory_mb": memory}, indent=1))
    print("\n| corpus | system | wall s, median (min-max) | peak RSS MB, median (min-max) | kept docs |")
    print("|---|---|---|---|---|")
    for profile, result in results.items():
        for system, entry in result["systems"].items():
            print(
                f"| {profile} | {system} | {summary(entry['wall'])} | {summary(entry['rss_mb'])} "
                f"| {int(entry['kept'][0]):,} |"
            )
    print(f"\nresults: {work / 'results.json'}")


if __name__ == "__main__":
    main()
