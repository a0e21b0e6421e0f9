"""Training throughput: seedforge's trainer vs the alpaca-lora recipe, same model, data, run.

The alpaca-lora recipe, as its finetune.py does it: tokenise the full prompt + answer with
truncation at the cutoff, append EOS, mask the prompt (train_on_inputs off, as seedforge's
default), LoRA r8/alpha16/dropout 0.05 on q_proj,v_proj, HF Trainer with AdamW,
DataCollatorForSeq2Seq (dynamic padding to a multiple of 8), no packing, no group-by-length.
Int8 loading (and the gradient checkpointing that came with it) is GPU-only and left out.

Both trainers run one epoch on the seed tasks (English and Chinese, the instances as Alpaca
records) on the embedded SmolLM2-135M base, each in its own subprocess so its peak RSS can be
read from wait4(); torch uses one thread in both. The figure compared is effective tokens per
second: non-padding tokens processed per second of the training loop.

    flock /tmp/seedforge-heavy.lock timeout 1800 python bench/train.py [--records N] [--epochs E]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
MICRO, BATCH, CUTOFF, LR, SEED = 4, 128, 256, 3e-4, 42


def seed_task_records(limit: int | None) -> list[dict[str, str]]:
    records = []
    for name in ("seed_tasks_en.jsonl", "seed_tasks_zh.jsonl"):
        for line in (REPO / "seeds" / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                task = json.loads(line)
                for instance in task["instances"]:
                    records.append(
                        {
                            "instruction": task["instruction"],
                            "input": instance["input"],
                            "output": instance["output"],
                        }
                    )
    return records[:limit] if limit else records


def child_seedforge(data: Path, base: str, epochs: float, out: Path) -> dict[str, Any]:
    from pipeline.train.config import TrainConfig
    from pipeline.train.lora import train_lora
    from pipeline.train.sources import load_training_data

    records = load_training_data(data).records
    config = TrainConfig(
        base_model=base,
        epochs=epochs,
        batch_size=BATCH,
        micro_batch_size=MICRO,
        cutoff_len=CUTOFF,
        learning_rate=LR,
        seed=SEED,
        torch_threads=1,
    )
    metrics = train_lora(records, [], config, base, out / "seedforge").metrics
    return {
        "tokens": metrics["input_tokens"],
        "seconds": metrics["seconds"],
        "trained_tokens": metrics["trained_tokens"],
        "computed_tokens": metrics["computed_tokens"],
        "steps": metrics["steps"],
        "final_train_loss": metrics["final_train_loss"],
    }


def _alpaca_lora_prompt(record: dict[str, str]) -> str:
    from pipeline.train.templates import ALPACA_NO_INPUT, ALPACA_WITH_INPUT

    form = ALPACA_WITH_INPUT if record["input"] else ALPACA_NO_INPUT
    return form.format(instruction=record["instruction"], input=record["input"])


def _alpaca_lora_tokenize(tokenizer: Any, text: str) -> dict[str, list[int]]:
    result = tokenizer(text, truncation=True, max_length=CUTOFF, padding=False, return_tensors=None)
    if result["input_ids"][-1] != tokenizer.eos_token_id and len(result["input_ids"]) < CUTOFF:
        result["input_ids"].append(tokenizer.eos_token_id)
        result["attention_mask"].append(1)
    result["labels"] = list(result["input_ids"])
    return result


def alpaca_lora_examples(tokenizer: Any, records: list[dict[str, str]]) -> list[dict[str, list[int]]]:
    """alpaca-lora's tokenisation: prompt + answer cut at the cutoff, EOS appended, prompt masked
    (train_on_inputs off). bench/gpu.py gives TRL the same token ids."""
    examples = []
    for record in records:
        full = _alpaca_lora_tokenize(tokenizer, _alpaca_lora_prompt(record) + record["output"])
        prompt = len(tokenizer(_alpaca_lora_prompt(record), truncation=True, max_length=CUTOFF)["input_ids"])
        full["labels"] = [-100] * prompt + full["labels"][prompt:]
        examples.append(full)
    return examples


def child_alpaca_lora(data: Path, base: str, epochs: float, out: Path) -> dict[str, Any]:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import (
        AutoModelForCausalLM,
        AutoTokenizer,
        DataCollatorForSeq2Seq,
        Trainer,
        TrainingArguments,
    )

    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    tokenizer = AutoTokenizer.from_pretrained(base)
    tokenizer.pad_token_id = 0  # alpaca-lora: "unk", different from eos
    tokenizer.padding_side = "left"
    examples = alpaca_lora_examples(tokenizer, json.loads(data.read_text(encoding="utf-8")))
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    model = get_peft_model(
        model,
        LoraConfig(
            r=8,
            lora_alpha=16,
            lora_dropout=0.05,
            target_modules=["q_proj", "v_proj"],
            bias="none",
            task_type="CAUSAL_LM",
        ),
    )
    model.config.use_cache = False
    args = TrainingArguments(
        output_dir=str(out / "alpaca-lora"),
        per_device_train_batch_size=MICRO,
        gradient_accumulation_steps=BATCH // MICRO,
        warmup_steps=100,
        num_train_epochs=epochs,
        learning_rate=LR,
        logging_steps=10,
        optim="adamw_torch",
        eval_strategy="no",
        save_strategy="no",
        train_sampling_strategy="random",
        report_to=[],
        use_cpu=True,
        seed=SEED,
        dataloader_num_workers=0,
        disable_tqdm=True,
    )
    collator = DataCollatorForSeq2Seq(tokenizer, pad_to_multiple_of=8, return_tensors="pt", padding=True)
    trainer = Trainer(model=model, train_dataset=examples, args=args, data_collator=collator)
    output = trainer.train()
    tokens = sum(len(e["input_ids"]) for e in examples)
    return {
        "tokens": int(tokens * epochs),
        "seconds": round(output.metrics["train_runtime"], 2),
        "trained_tokens": int(sum(sum(1 for t in e["labels"][1:] if t != -100) for e in examples) * epochs),
        "steps": output.global_step,
        "final_train_loss": output.training_loss,
    }


def run_child(name: str, data: Path, base: str, epochs: float, out: Path) -> dict[str, Any]:
    """The trainer in a fresh interpreter; peak RSS of that process from wait4()."""
    result_file = out / f"{name}.json"
    env = {
        **os.environ,
        "SEEDFORGE_TORCH_THREADS": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "HF_HUB_OFFLINE": "1",
        "OMP_NUM_THREADS": "1",
    }
    started = time.monotonic()
    process = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--child",
            name,
            "--data",
            str(data),
            "--base",
            base,
            "--epochs",
            str(epochs),
            "--out",
            str(out),
        ],
        env=env,
        cwd=REPO,
    )
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{name} trainer failed")
    result = json.loads(result_file.read_text())
    result["tokens_per_second"] = round(result["tokens"] / result["seconds"], 1)
    result["peak_rss_mb"] = round(usage.ru_maxrss / 1024)  # Linux reports KiB
    result["process_seconds"] = round(time.monotonic() - started, 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=None, help="Use the first N records")
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--json", type=Path, default=None, help="Also write the results here")
    parser.add_argument("--child", choices=["seedforge", "alpaca-lora"], help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--base", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        runner = child_seedforge if args.child == "seedforge" else child_alpaca_lora
        result = runner(args.data, args.base, args.epochs, args.out)
        (args.out / f"{args.child}.json").write_text(json.dumps(result))
        return

    from pipeline.train.base_model import prepare_base_model

    base = prepare_base_model(None)
    work = Path(tempfile.mkdtemp(prefix="bench-train-"))
    records = seed_task_records(args.records)
    data = work / "seed_tasks_alpaca.json"
    data.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    results = {name: run_child(name, data, base, args.epochs, work) for name in ("alpaca-lora", "seedforge")}
    ratio = results["seedforge"]["tokens_per_second"] / results["alpaca-lora"]["tokens_per_second"]
    summary = {
        "records": len(records),
        "epochs": args.epochs,
        "base": base,
        "results": results,
        "speedup": round(ratio, 2),
    }
    print(json.dumps(summary, indent=2))
    print(
        "\n| trainer | effective tokens/s | loop seconds | tokens | peak RSS |"
        "\n| --- | --- | --- | --- | --- |"
    )
    for name, r in results.items():
        print(
            f"| {name} | {r['tokens_per_second']} | {r['seconds']} | {r['tokens']} | {r['peak_rss_mb']} MB |"
        )
    print(f"\nseedforge / alpaca-lora: {ratio:.2f}x (target >= 1.3x)")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
