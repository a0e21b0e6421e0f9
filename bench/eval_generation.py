"""How fast can base and tuned answers be generated on this machine, honestly (same prompts,
greedy decoding, both models in the same engine)?

1. transformers, fp32, one loaded model (base = adapter disabled), greedy, left padding, at
   batch 1 / 4 / 8;
2. llama.cpp (llama-cpp-python, in process, one thread as the embedded server uses), the
   Q4_1 GGUF base and the same GGUF with the LoRA adapter applied at run time. llama.cpp
   needs the adapter as a GGUF file; nothing in the installed wheels converts one, so this
   script writes it with the `gguf` package (q_proj's B matrix permuted the way llama.cpp's
   converter permutes q_proj weights for rotary embeddings).

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

_HF_TO_GGUF = {
    "q_proj": "attn_q",
    "k_proj": "attn_k",
    "v_proj": "attn_v",
    "o_proj": "attn_output",
    "gate_proj": "ffn_gate",
    "up_proj": "ffn_up",
    "down_proj": "ffn_down",
}


def _permute_rows(weights, heads: int):  # type: ignore[no-untyped-def]
    return (
        weights.reshape(heads, 2, weights.shape[0] // heads // 2, *weights.shape[1:])
        .swapaxes(1, 2)
        .reshape(weights.shape)
    )


def peft_to_gguf_lora(adapter_dir: Path, base_config: dict, target: Path) -> Path:
    import gguf
    from safetensors.numpy import load_file

    config = json.loads((adapter_dir / "adapter_config.json").read_text())
    tensors = load_file(str(adapter_dir / "adapter_model.safetensors"))
    writer = gguf.GGUFWriter(str(target), "llama")
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(config["lora_alpha"]))
    heads, kv_heads = base_config["num_attention_heads"], base_config["num_key_value_heads"]
    for name, value in sorted(tensors.items()):
        # base_model.model.model.layers.{i}.self_attn.q_proj.lora_A.weight
        parts = name.split(".")
        layer, module, kind = int(parts[4]), parts[6], parts[7]
        value = value.astype("float32")
        if kind == "lora_B" and module in ("q_proj", "k_proj"):
            value = _permute_rows(value, heads if module == "q_proj" else kv_heads)
        suffix = "lora_a" if kind == "lora_A" else "lora_b"
        writer.add_tensor(f"blk.{layer}.{_HF_TO_GGUF[module]}.weight.{suffix}", value)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return target


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

    items = load_eval_set(args.heldout)
    base = prepare_base_model(None)
    result: dict = {"items": len(items), "max_new_tokens": args.max_new_tokens}
    result["transformers"] = bench_transformers(
        base, args.adapter, items, [int(b) for b in args.batches.split(",")], args.max_new_tokens
    )
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base)
    prompts = [eval_prompt(item, "alpaca", tokenizer) for item in items]
    base_config = json.loads((Path(base) / "config.json").read_text())
    with tempfile.TemporaryDirectory() as scratch:
        started = time.monotonic()
        lora = peft_to_gguf_lora(args.adapter, base_config, Path(scratch) / "adapter.gguf")
        result["gguf_conversion_s"] = round(time.monotonic() - started, 2)
        gguf_model = embedded_gguf_path()
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
