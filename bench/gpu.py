"""Training on a GPU: seedforge against the alpaca-lora recipe and TRL's SFTTrainer (padding-free).

Same base, data and LoRA (r8/alpha16/dropout 0.05 on q_proj,v_proj, prompt masked, micro-batch
4, 32 records a step, learning rate 3e-4, cutoff 256), the same number of optimizer steps:

- seedforge: `train_lora` with --device cuda --precision bf16 (packing by position ids);
- alpaca-lora: its finetune.py recipe as `bench/train.py` spells it (HF Trainer,
  DataCollatorForSeq2Seq padding to a multiple of 8, no packing), bf16;
- TRL: `SFTTrainer` with `padding_free=True` on the same token ids as alpaca-lora (given
  pre-tokenised, with a completion mask: loss on the answer only), bf16.

Each (system, variant) runs in a fresh process; variants: `bf16`, `bf16+gc` (gradient
checkpointing), `4bit` (QLoRA: NF4 base through bitsandbytes, bf16 compute). Measured:
effective tokens/s (non-padding tokens processed per second of the training loop) and peak
GPU memory (`torch.cuda.max_memory_allocated`). Rounds are interleaved; the table gives the
median with the range, and seedforge's ratio against each baseline round by round. A system
whose packages are missing (trl, bitsandbytes) is reported as skipped, not failed.

    python bench/gpu.py                                  # one GPU, a few minutes
    python bench/gpu.py --write-docs                     # and append the table to docs/benchmarks.md
    python bench/gpu.py --device cpu --tiny --steps 2    # a smoke run of the script itself on a CPU
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from train import alpaca_lora_examples, seed_task_records

REPO = Path(__file__).resolve().parent.parent
MICRO, BATCH, CUTOFF, LR, SEED = 4, 32, 256, 3e-4, 42
SYSTEMS = ("seedforge", "alpaca-lora", "trl")
VARIANTS = ("bf16", "bf16+gc", "4bit")


def _precision(device: str) -> str:
    return "bf16" if device == "cuda" else "fp32"


def _hardware(variant: str, device: str) -> dict[str, Any]:
    return {
        "gradient_checkpointing": variant == "bf16+gc",
        "load_in": "4bit" if variant == "4bit" else None,
        "precision": _precision(device),
    }


def _reset_memory(device: str) -> None:
    if device == "cuda":
        import torch

        torch.cuda.reset_peak_memory_stats()


def _peak_memory_mb(device: str) -> float | None:
    if device != "cuda":
        return None
    import torch

    return round(torch.cuda.max_memory_allocated() / 2**20, 1)


def child_seedforge(records: list[dict[str, str]], base: str, steps: int, variant: str, device: str) -> dict:
    from pipeline.records import AlpacaRecord, Lineage
    from pipeline.train.config import TrainConfig
    from pipeline.train.lora import train_lora

    hardware = _hardware(variant, device)
    config = TrainConfig(
        base_model=base,
        # seedforge counts ceil(epochs × steps an epoch) steps: half a step short of `steps` is `steps`
        epochs=(steps - 0.5) / math.ceil(len(records) / BATCH),
        batch_size=BATCH,
        micro_batch_size=MICRO,
        cutoff_len=CUTOFF,
        learning_rate=LR,
        warmup_steps=0,
        seed=SEED,
        val_set_size=0,
        device=device,
        **hardware,
    )
    typed = [AlpacaRecord(**r, lineage=Lineage(generator="bench")) for r in records]
    _reset_memory(device)
    with tempfile.TemporaryDirectory() as out:
        metrics = train_lora(typed, [], config, base, Path(out)).metrics
    return {"tokens": metrics["input_tokens"], "seconds": metrics["seconds"], "steps": metrics["steps"]}


def _hf_model(base: str, variant: str, device: str) -> Any:
    import torch
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig

    options: dict[str, Any] = {"dtype": torch.bfloat16 if device == "cuda" else torch.float32}
    if variant == "4bit":
        options["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=torch.bfloat16,
        )
        options["device_map"] = {"": 0}
    model = AutoModelForCausalLM.from_pretrained(base, **options)
    if variant == "4bit":
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=False)
    return model


def _lora() -> Any:
    from peft import LoraConfig

    return LoraConfig(
        r=8, lora_alpha=16, lora_dropout=0.05, target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM"
    )


def _trainer_options(steps: int, variant: str, device: str, out: str) -> dict[str, Any]:
    return {
        "output_dir": out,
        "per_device_train_batch_size": MICRO,
        "gradient_accumulation_steps": BATCH // MICRO,
        "max_steps": steps,
        "learning_rate": LR,
        "warmup_steps": 0,
        "optim": "adamw_torch",
        "bf16": device == "cuda",
        "gradient_checkpointing": variant == "bf16+gc",
        "gradient_checkpointing_kwargs": {"use_reentrant": False},
        "save_strategy": "no",
        "eval_strategy": "no",
        "report_to": [],
        "seed": SEED,
        "use_cpu": device == "cpu",
        "disable_tqdm": True,
        "include_num_input_tokens_seen": "non_padding",
        "logging_steps": 1,
    }


def child_alpaca_lora(
    records: list[dict[str, str]], base: str, steps: int, variant: str, device: str
) -> dict:
    from peft import get_peft_model
    from transformers import AutoTokenizer, DataCollatorForSeq2Seq, Trainer, TrainingArguments

    tokenizer = AutoTokenizer.from_pretrained(base)
    examples = alpaca_lora_examples(tokenizer, records)
    _reset_memory(device)
    model = get_peft_model(_hf_model(base, variant, device), _lora())
    with tempfile.TemporaryDirectory() as out:
        args = TrainingArguments(**_trainer_options(steps, variant, device, out))
        collator = DataCollatorForSeq2Seq(tokenizer, pad_to_multiple_of=8, return_tensors="pt", padding=True)
        trainer = Trainer(model=model, train_dataset=examples, args=args, data_collator=collator)
        output = trainer.train()
    return {
        "tokens": int(trainer.state.num_input_tokens_seen),
        "seconds": round(output.metrics["train_runtime"], 2),
        "steps": output.global_step,
    }


def child_trl(records: list[dict[str, str]], base: str, steps: int, variant: str, device: str) -> dict:
    from datasets import Dataset
    from transformers import AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    tokenizer = AutoTokenizer.from_pretrained(base)
    rows = [
        {"input_ids": e["input_ids"], "completion_mask": [int(label != -100) for label in e["labels"]]}
        for e in alpaca_lora_examples(tokenizer, records)
    ]
    _reset_memory(device)
    model = _hf_model(base, variant, device)
    with tempfile.TemporaryDirectory() as out:
        args = SFTConfig(
            **_trainer_options(steps, variant, device, out),
            padding_free=True,
            max_length=None,  # the rows are already cut at the cutoff, as alpaca-lora cuts them
            completion_only_loss=True,
            dataset_num_proc=1,
        )
        trainer = SFTTrainer(
            model=model,
            args=args,
            train_dataset=Dataset.from_list(rows),
            processing_class=tokenizer,
            peft_config=_lora(),
        )
        output = trainer.train()
    return {
        "tokens": int(trainer.state.num_input_tokens_seen),
        "seconds": round(output.metrics["train_runtime"], 2),
        "steps": output.global_step,
    }


CHILDREN = {"seedforge": child_seedforge, "alpaca-lora": child_alpaca_lora, "trl": child_trl}


def missing_packages(system: str, variant: str, device: str) -> list[str]:
    needed = ["trl"] if system == "trl" else []
    if variant == "4bit":
        needed.append("bitsandbytes")
    missing = [name for name in needed if importlib.util.find_spec(name) is None]
    if variant == "4bit" and device != "cuda":
        missing.append("a CUDA device")
    return missing


def run_child(system: str, variant: str, args: argparse.Namespace, data: Path, base: str) -> dict:
    env = {**os.environ, "TOKENIZERS_PARALLELISM": "false", "HF_HUB_OFFLINE": "1"}
    started = time.monotonic()
    command = [sys.executable, __file__, "--child", system, "--variant", variant, "--data", str(data)]
    command += ["--base", base, "--steps", str(args.steps), "--device", args.device]
    with tempfile.NamedTemporaryFile(suffix=".json") as result_file:
        completed = subprocess.run([*command, "--result", result_file.name], env=env, cwd=REPO)
        if completed.returncode != 0:
            return {"failed": f"exit {completed.returncode}"}
        result = json.loads(Path(result_file.name).read_text())
    result["tokens_per_second"] = round(result["tokens"] / result["seconds"], 1)
    result["process_seconds"] = round(time.monotonic() - started, 1)
    return result


def _tiny_base(target: Path) -> str:
    """A tiny random LLaMA with the SmolLM2 tokenizer, for a smoke run on a CPU."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    from pipeline.train.base_model import prepare_base_model

    tokenizer = AutoTokenizer.from_pretrained(prepare_base_model(None))
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        intermediate_size=128,
        tie_word_embeddings=True,
    )
    LlamaForCausalLM(config).save_pretrained(target)
    tokenizer.save_pretrained(target)
    return str(target)


def _random_base(folder: str, target: Path) -> str:
    """`folder`'s model (its config and tokenizer; weights, if any, unused) with random bf16
    weights: a model too large to carry to a lent GPU machine is rebuilt there. Speed and
    memory do not depend on the weights' values; losses are not compared."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(folder), dtype=torch.bfloat16)
    model.save_pretrained(target)
    AutoTokenizer.from_pretrained(folder).save_pretrained(target)
    return str(target)


def summarize(rounds: list[dict[str, dict[str, dict]]]) -> dict[str, dict[str, Any]]:
    """Per (system, variant): median and range of tokens/s and peak memory, and seedforge's
    ratio against each baseline taken round by round."""
    table: dict[str, dict[str, Any]] = {}
    for key in rounds[0]:
        runs = [r[key] for r in rounds if "tokens_per_second" in r[key]]
        if not runs:
            table[key] = {"skipped": rounds[0][key].get("skipped") or rounds[0][key].get("failed")}
            continue
        speeds = [r["tokens_per_second"] for r in runs]
        memory = [r["peak_memory_mb"] for r in runs if r.get("peak_memory_mb") is not None]
        table[key] = {
            "tokens_per_second": statistics.median(speeds),
            "range": [min(speeds), max(speeds)],
            "peak_memory_mb": statistics.median(memory) if memory else None,
        }
    for key, entry in table.items():
        system, variant = key.split(" / ")
        if system == "seedforge" or "tokens_per_second" not in entry:
            continue
        ours = f"seedforge / {variant}"
        ratios = [
            r[ours]["tokens_per_second"] / r[key]["tokens_per_second"]
            for r in rounds
            if "tokens_per_second" in r.get(ours, {}) and "tokens_per_second" in r[key]
        ]
        if ratios:
            entry["seedforge_ratio"] = round(statistics.median(ratios), 2)
            entry["ratio_range"] = [round(min(ratios), 2), round(max(ratios), 2)]
    return table


def markdown(table: dict[str, dict[str, Any]], meta: dict[str, Any]) -> str:
    lines = [
        f"### Training on a GPU (`bench/gpu.py`, {meta['when']}, {meta['device_name']})"
        + (" — a smoke run of the script, not a benchmark" if meta["device_name"] == "CPU" else ""),
        "",
        f"{meta['records']} records of the seed tasks, {meta['steps']} optimizer steps of {BATCH} records, "
        f"base {meta['base']}; {meta['rounds']} interleaved rounds, median (min–max).",
        "",
        "| system / variant | effective tokens/s | peak GPU memory | seedforge's ratio (round by round) |",
        "| --- | --- | --- | --- |",
    ]
    for key, entry in table.items():
        if "skipped" in entry:
            lines.append(f"| {key} | skipped: {entry['skipped']} | – | – |")
            continue
        low, high = entry["range"]
        memory = f"{entry['peak_memory_mb']:,.0f} MB" if entry["peak_memory_mb"] is not None else "–"
        ratio = (
            f"{entry['seedforge_ratio']}× ({entry['ratio_range'][0]}–{entry['ratio_range'][1]}×)"
            if "seedforge_ratio" in entry
            else "–"
        )
        lines.append(
            f"| {key} | {entry['tokens_per_second']:,.0f} ({low:,.0f}–{high:,.0f}) | {memory} | {ratio} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    parser.add_argument("--steps", type=int, default=20, help="Optimizer steps per run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--systems", default=",".join(SYSTEMS))
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--base", default=None, help="HF model folder (default: the embedded SmolLM2)")
    parser.add_argument("--tiny", action="store_true", help="A tiny random model (smoke run)")
    parser.add_argument(
        "--random-weights", action="store_true", help="--base holds a config and tokenizer: random weights"
    )
    parser.add_argument("--json", type=Path, default=None, help="Also write the results here")
    parser.add_argument("--write-docs", action="store_true", help="Append the table to docs/benchmarks.md")
    parser.add_argument("--child", choices=SYSTEMS, help=argparse.SUPPRESS)
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        if args.device == "cpu":  # a smoke run: one thread each, as every CPU benchmark here
            import torch

            torch.set_num_threads(1)
        # the baselines load through plain transformers: without this they alone would get the
        # Hub's kernels (transformers 5.2x), which seedforge leaves off
        os.environ.setdefault("USE_HUB_KERNELS", "NO")
        records = json.loads(args.data.read_text(encoding="utf-8"))
        result = CHILDREN[args.child](records, args.base, args.steps, args.variant, args.device)
        result["peak_memory_mb"] = _peak_memory_mb(args.device)
        args.result.write_text(json.dumps(result))
        return

    from pipeline.train.base_model import prepare_base_model

    work = Path(tempfile.mkdtemp(prefix="bench-gpu-"))
    if args.tiny:
        base = _tiny_base(work / "tiny")
    elif args.random_weights:
        if not args.base:
            parser.error("--random-weights needs --base (a folder with a config and a tokenizer)")
        base = _random_base(args.base, work / "random")
    else:
        base = args.base or prepare_base_model(None)
    records = seed_task_records(None)
    data = work / "records.json"
    data.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    systems, variants = args.systems.split(","), args.variants.split(",")
    rounds = []
    for number in range(args.rounds):
        results: dict[str, dict] = {}
        # interleaved, and the order turned each round so no system always runs first
        order = [(s, v) for v in variants for s in systems]
        for system, variant in order[number % len(order) :] + order[: number % len(order)]:
            missing = missing_packages(system, variant, args.device)
            key = f"{system} / {variant}"
            results[key] = (
                {"skipped": "needs " + ", ".join(missing)}
                if missing
                else run_child(system, variant, args, data, base)
            )
            print(key, json.dumps(results[key]), flush=True)
        rounds.append(dict(sorted(results.items())))
    table = summarize(rounds)
    device_name = "CPU"
    if args.device == "cuda":
        import torch

        device_name = torch.cuda.get_device_name()
    meta = {
        "when": time.strftime("%Y-%m-%d"),
        "device_name": device_name,
        "records": len(records),
        "steps": args.steps,
        "base": "a tiny random LLaMA"
        if args.tiny
        else f"{Path(args.base).name} (its config and tokenizer, random weights)"
        if args.random_weights
        else Path(base).name,
        "rounds": args.rounds,
    }
    text = markdown(table, meta)
    print(text)
    if args.json:
        args.json.write_text(json.dumps({"meta": meta, "table": table, "rounds": rounds}, indent=2))
    if args.write_docs:
        with (REPO / "docs" / "benchmarks.md").open("a", encoding="utf-8") as docs:
            docs.write("\n" + text)


if __name__ == "__main__":
    main()
