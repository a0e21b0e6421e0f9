"""How fast can base and tuned answers be generated on this machine, honestly (same prompts,
greedy decoding, both models in the same engine)?

1. transformers, fp32, one loaded model (base = adapter disabled), greedy, left padding, at
   batch 1 / 4 / 8;
2. llama.cpp (llama-cpp-python, in process, one thread as the embedded server uses), the
   Q4_1 GGUF base and the same GGUF with the LoRA adapter applied at run time, converted by
   `pipeline.train.gguf_export.write_lora` (what `seedforge export gguf` writes).

    python bench/eval_generation.py --adapter RUN/train/adapter --heldout DATASET/vNNNN/heldout.jsonl

Prints a JSON summary (tokens per second per engine, agreement of tuned answers between
engines). Run under the heavy-job lock.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path


def bench_transformers(base: str, adapter: Path, items: list, batches: list[int], max_new: int) -> dict:
    from pipeline.evaluate.answers import Decoding, generate_answers
    from pipeline.evaluate.models import load_tuned

    tuned = load_tuned(base, adapter, 1)
    out = {}
    for batch in batches:
        run = generate_answers(tuned, items, "alpaca", Decoding(max_new_tokens=max_new, batch_size=batch))
        out[f"batch_{batch}"] = {"base": run.base.stats(), "tuned": run.tuned.stats()}
        out[f"batch_{batch}"]["tuned_answers"] = run.tuned.answers
    return out


def bench_llama_cpp(gguf_model: Path, lora: Path | None, prompts: list[str], max_new: int) -> dict:
    from llama_cpp import Llama

    started = time.monotonic()
    llm = Llama(
        model_path=str(gguf_model),
        lora_path=str(lora) if lora else None,
        n_ctx=2048,
        n_threads=1,
        n_threads_batch=1,
        verbose=False,
        seed=0,
    )
    loaded = time.monotonic() - started
    answers, tokens = [], 0
    started = time.monotonic()
    for prompt in prompts:
        result = llm.create_completion(prompt, max_tokens=max_new, temperature=0.0, top_k=1)
        answers.append(result["choices"][0]["text"].strip())
        tokens += result["usage"]["completion_tokens"]
    seconds = time.monotonic() - started
    return {
        "load_s": round(loaded, 2),
        "seconds": round(seconds, 2),
        "new_tokens": tokens,
        "tokens_per_second": round(tokens / seconds, 1),
        "answers": answers,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--adapter", type=Path, required=True)
    parser.add_argument("--heldout", type=Path, required=True)
    parser.add_argument("--max-new-tokens", type=int, default=128)
    parser.add_argument("--batches", default="1,8")
    args = parser.parse_args()

    from pipeline.evaluate.answers import eval_prompt
    from pipeline.evaluate.evalsets import load_eval_set
    from pipeline.llm.embedded import embedded_gguf_path
    from pipeline.train.base_model import prepare_base_model
    from pipeline.train.export import adapter_directory
    from pipeline.train.gguf_export import write_lora

    items = load_eval_set(args.heldout)
    base = prepare_base_model(None)
    result: dict = {"items": len(items), "max_new_tokens": args.max_new_tokens}
    result["transformers"] = bench_transformers(
        base, args.adapter, items, [int(b) for b in args.batches.split(",")], args.max_new_tokens
    )
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base)
    prompts = [eval_prompt(item, "alpaca", tokenizer) for item in items]
    gguf_model = embedded_gguf_path()
    with tempfile.TemporaryDirectory() as scratch:
        started = time.monotonic()
        lora = write_lora(adapter_directory(args.adapter), gguf_model, Path(scratch) / "adapter.gguf")
        result["gguf_conversion_s"] = round(time.monotonic() - started, 2)
        result["llama_cpp_base"] = bench_llama_cpp(gguf_model, None, prompts, args.max_new_tokens)
        result["llama_cpp_tuned"] = bench_llama_cpp(gguf_model, lora, prompts, args.max_new_tokens)
    reference = result["transformers"][f"batch_{args.batches.split(',')[0]}"]["tuned_answers"]
    agree = sum(a == b for a, b in zip(reference, result["llama_cpp_tuned"]["answers"], strict=False))
    result["tuned_answers_identical_across_engines"] = f"{agree}/{len(items)}"
    first_words = sum(
        a.split()[:5] == b.split()[:5]
        for a, b in zip(reference, result["llama_cpp_tuned"]["answers"], strict=False)
    )
    result["tuned_answers_same_first_5_words"] = f"{first_words}/{len(items)}"
    base_same = sum(
        a.split()[:5] == b.split()[:5]
        for a, b in zip(
            result["llama_cpp_base"]["answers"], result["llama_cpp_tuned"]["answers"], strict=False
        )
    )
    result["llama_cpp_lora_changes_answers"] = (
        f"{len(items) - base_same}/{len(items)} differ from base in the first 5 words"
    )
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
