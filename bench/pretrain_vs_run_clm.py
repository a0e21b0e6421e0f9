"""Benchmark: `seedforge pretrain` against transformers' standard causal-LM recipe.

Both train the embedded SmolLM2 (pipeline.train.base_model.prepare_base_model(None), fp32 weights) with
LoRA (r 8, alpha 32, dropout 0.05) on q/k/v/o/gate/up/down projections, block size 256,
BATCH blocks per optimizer step (micro-batch 2, BATCH/2 accumulation), STEPS optimizer steps, learning
rate 2e-4 without warmup, one torch thread, on the same text: the cleaned training documents of
a corpus built (untimed, once) with `seedforge corpus build seeds/corpora/medical_zh`.

- seedforge: `seedforge pretrain CORPUS --out DIR --max-steps STEPS ...` in a child process,
  precision at its default (`auto`: bf16 autocast on a CPU with AVX512-BF16 or AMX, fp32
  else; the line says which); its pretrain.json reports tokens/s over the optimizer steps
  alone (perplexity before/after, the merge and the saves are outside it).
- baseline: the recipe of transformers' run_clm example, written here from its documented
  steps: tokenise each document (EOS appended, as seedforge's blocks have), concatenate, cut
  into block_size chunks (`group_texts`, the tail dropped), labels = input ids, then
  Trainer.train() with the same LoRA model (`transformers`, the recipe as LoRA pretraining
  scripts such as Chinese-LLaMA-Alpaca's adapt it). Its tokens/s is measured the same way: the
  seconds between on_step_begin and on_step_end, summed, over the tokens in those steps.
- the same recipe as run_clm ships it (`transformers-full`): every weight trained, no LoRA,
  same blocks, optimizer and steps.
- the LoRA recipe with the Trainer's `--bf16` flag (`transformers-bf16`): what a user of the
  recipe gets who knows to ask for bf16 autocast on the CPU.

Runs are interleaved (seedforge, baseline, then baseline, seedforge, ...); each line reports
the optimizer-step tokens/s and the child's whole wall time.

    python bench/pretrain_vs_run_clm.py [--steps 8] [--batch 8] [--runs 3] [--workdir DIR]
        [--systems seedforge,transformers,transformers-full]
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

BLOCK, MICRO, LR, SEED = 256, 2, 2e-4, 42
PROJECTIONS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
SYSTEMS = ("seedforge", "transformers", "transformers-full", "transformers-bf16")
ENV = {"SEEDFORGE_TORCH_THREADS": "1", "OMP_NUM_THREADS": "1", "RAYON_NUM_THREADS": "1"}


def baseline_child(corpus: Path, out: Path, steps: int, batch: int, full: bool, bf16: bool) -> None:
    """The transformers recipe, in its own process (`full`: every weight trained, as run_clm
    ships; else the same LoRA as seedforge; `bf16`: the Trainer's bf16 flag); prints one JSON line."""
    import torch
    from datasets import Dataset
    from peft import LoraConfig, get_peft_model
    from transformers import (
        AutoModelForCausalLM,
        AutoTokenizer,
        Trainer,
        TrainerCallback,
        TrainingArguments,
        default_data_collator,
    )

    from pipeline.train.base_model import prepare_base_model

    torch.set_num_threads(1)
    base = prepare_base_model(None)
    tokenizer = AutoTokenizer.from_pretrained(base)
    texts = [json.loads(line)["text"] for line in open(corpus / "train.jsonl", encoding="utf-8")]
    raw = Dataset.from_dict({"text": texts})

    def tokenize(batch: dict) -> dict:
        ids = tokenizer(batch["text"])["input_ids"]
        return {"input_ids": [row + [tokenizer.eos_token_id] for row in ids]}

    def group_texts(batch: dict) -> dict:
        flat = [token for row in batch["input_ids"] for token in row]
        usable = len(flat) // BLOCK * BLOCK
        blocks = [flat[i : i + BLOCK] for i in range(0, usable, BLOCK)]
        return {"input_ids": blocks, "labels": [list(b) for b in blocks]}

    tokenized = raw.map(tokenize, batched=True, remove_columns=["text"])
    blocks = tokenized.map(group_texts, batched=True, batch_size=len(tokenized))
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    lora = LoraConfig(
        r=8, lora_alpha=32, lora_dropout=0.05, target_modules=PROJECTIONS, task_type="CAUSAL_LM"
    )
    if not full:
        model = get_peft_model(model, lora)

    class StepTimer(TrainerCallback):
        seconds = 0.0
        started = 0.0

        def on_step_begin(self, args, state, control, **kwargs):  # type: ignore[no-untyped-def]
            self.started = time.perf_counter()

        def on_step_end(self, args, state, control, **kwargs):  # type: ignore[no-untyped-def]
            self.seconds += time.perf_counter() - self.started

    timer = StepTimer()
    arguments = TrainingArguments(
        output_dir=str(out),
        per_device_train_batch_size=MICRO,
        gradient_accumulation_steps=batch // MICRO,
        max_steps=steps,
        learning_rate=LR,
        warmup_steps=0,
        lr_scheduler_type="linear",
        max_grad_norm=1.0,
        logging_steps=1,
        save_strategy="no",
        report_to=[],
        use_cpu=True,
        bf16=bf16,
        dataloader_num_workers=0,
        seed=SEED,
        disable_tqdm=True,
    )
    trainer = Trainer(
        model=model,
        args=arguments,
        train_dataset=blocks,
        data_collator=default_data_collator,
        callbacks=[timer],
    )
    result = trainer.train()
    tokens = steps * batch * BLOCK
    print(
        json.dumps(
            {
                "blocks": len(blocks),
                "tokens": tokens,
                "step_seconds": timer.seconds,
                "tokens_per_second": tokens / timer.seconds,
                "train_runtime": result.metrics["train_runtime"],
                "final_loss": trainer.state.log_history[-2].get("loss"),
            }
        )
    )


def run(command: list[str], data: Path) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        command,
        env={**os.environ, **ENV, "SEEDFORGE_DATA_DIR": str(data)},
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"{command[:5]} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return time.perf_counter() - started, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--batch", type=int, default=8, help="blocks per optimizer step (micro-batch 2)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--baseline-child", nargs=2, metavar=("CORPUS", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--full", action="store_true", help=argparse.SUPPRESS)  # with --baseline-child
    parser.add_argument("--bf16", action="store_true", help=argparse.SUPPRESS)  # with --baseline-child
    parser.add_argument("--systems", default=",".join(SYSTEMS), help="of " + ", ".join(SYSTEMS))
    args = parser.parse_args()
    if args.baseline_child:
        baseline_child(
            Path(args.baseline_child[0]),
            Path(args.baseline_child[1]),
            args.steps,
            args.batch,
            args.full,
            args.bf16,
        )
        return
    work = args.workdir or Path(tempfile.mkdtemp(prefix="seedforge-pretrain-bench-"))
    data = work / "data"
    cli = [sys.executable, "-m", "pipeline.cli"]
    from pipeline.settings import seeds_dir

    if not (data / "corpora" / "medical").exists():
        run([*cli, "corpus", "build", str(seeds_dir() / "corpora" / "medical_zh"), "--name", "medical",
             "--block-size", str(BLOCK)], data)  # fmt: skip
    corpus = max((data / "corpora" / "medical").glob("v*"), key=lambda p: int(p.name[1:]))
    manifest = json.loads((corpus / "manifest.json").read_text())
    print(f"corpus {corpus}: {manifest['splits']['train']}", flush=True)
    systems = args.systems.split(",")
    results: dict[str, list[dict]] = {system: [] for system in systems}
    for index in range(args.runs):
        order = systems if index % 2 == 0 else systems[::-1]
        for system in order:
            out = work / f"{system}-{index}"
            shutil.rmtree(out, ignore_errors=True)  # a --workdir reused from an earlier run
            if system == "seedforge":
                command = [*cli, "pretrain", str(corpus), "--out", str(out), "--max-steps", str(args.steps),
                           "--batch-size", str(args.batch), "--micro-batch-size", str(MICRO),
                           "--learning-rate", str(LR), "--eval-blocks", "4", "--seed", str(SEED),
                           "--threads", "1"]  # fmt: skip
                wall, _ = run(command, data)
                summary = json.loads((out / "pretrain.json").read_text())
                row = {"tokens_per_second": summary["tokens_per_second"], "wall": wall,
                       "precision": summary.get("placement", {}).get("precision")}  # fmt: skip
            else:
                wall, stdout = run([sys.executable, __file__, "--steps", str(args.steps),
                                    "--batch", str(args.batch), "--baseline-child", str(corpus), str(out),
                                    *(["--full"] if system == "transformers-full" else []),
                                    *(["--bf16"] if system == "transformers-bf16" else [])],
                                   data)  # fmt: skip
                row = {**json.loads(stdout.strip().splitlines()[-1]), "wall": wall}
            results[system].append(row)
            precision = f", {row['precision']}" if row.get("precision") else ""
            print(
                f"run {index + 1} {system:<17} {row['tokens_per_second']:8.1f} tokens/s, wall {wall:.1f} s"
                f"{precision}",
                flush=True,
            )
    (work / "results.json").write_text(json.dumps(results, indent=1))
    print("\n| system | optimizer-step tokens/s, median (min-max) | process wall s, median (min-max) |")
    print("|---|---|---|")
    for system, rows in results.items():
        speeds, walls = [r["tokens_per_second"] for r in rows], [r["wall"] for r in rows]
        print(
            f"| {system} | {statistics.median(speeds):.0f} ({min(speeds):.0f}-{max(speeds):.0f}) "
            f"| {statistics.median(walls):.1f} ({min(walls):.1f}-{max(walls):.1f}) |"
        )
    if "seedforge" in results:
        ours = [row["tokens_per_second"] for row in results["seedforge"]]
        for system in (name for name in systems if name != "seedforge"):
            theirs = [row["tokens_per_second"] for row in results[system]]
            ratios = [a / b for a, b in zip(ours, theirs, strict=True)]  # run by run
            print(
                f"seedforge / {system}: {statistics.median(ratios):.2f}x "
                f"(runs {min(ratios):.2f}-{max(ratios):.2f}x)"
            )


if __name__ == "__main__":
    main()
