"""Answers from the base and the tuned model under the same decoding.

transformers, batched, left-padded, greedy by default: on these 2 CPU cores batch 8 gives
about 3-4x the tokens per second of one stream, and the base side is the same loaded model
with the adapter disabled (docs/benchmarks.md compares this with the llama.cpp server).
Prompts are sorted by length so a batch wastes little on padding.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from pipeline.evaluate.evalsets import EvalItem
from pipeline.evaluate.models import TunedModel
from pipeline.records import AlpacaRecord, Lineage
from pipeline.train.templates import render_prompt


@dataclass(frozen=True)
class Decoding:
    max_new_tokens: int = 192
    batch_size: int = 8
    temperature: float = 0.0  # 0: greedy
    top_p: float = 1.0
    seed: int = 0
    max_prompt_tokens: int = 1024  # longer prompts keep their end (the instruction's tail)


@dataclass
class SideRun:
    answers: list[str]
    new_tokens: int = 0
    seconds: float = 0.0
    stopped: int = 0  # answers that ended with EOS rather than at the token limit

    def stats(self) -> dict[str, Any]:
        return {
            "seconds": round(self.seconds, 2),
            "new_tokens": self.new_tokens,
            "tokens_per_second": round(self.new_tokens / self.seconds, 1) if self.seconds else None,
            "ended_with_eos": self.stopped,
            "answers": len(self.answers),
        }


@dataclass
class AnswerRun:
    base: SideRun
    tuned: SideRun
    decoding: Decoding
    template: str
    extra: dict[str, Any] = field(default_factory=dict)


def eval_prompt(item: EvalItem, template: str, tokenizer: Any) -> str:
    """The prompt the model was trained with, for an eval item (no answer)."""
    record = AlpacaRecord(
        id=item.id,
        instruction=item.instruction,
        input=item.input,
        output="",
        lineage=Lineage(generator="eval"),
    )
    return render_prompt(record, template, tokenizer)


def _generate_side(tuned: TunedModel, prompts: list[str], decoding: Decoding) -> SideRun:
    import torch

    tokenizer = tuned.tokenizer
    tokenizer.padding_side = "left"
    tokenizer.truncation_side = "left"
    eos = tokenizer.eos_token_id
    order = sorted(range(len(prompts)), key=lambda i: -len(prompts[i]))
    answers: list[str] = [""] * len(prompts)
    run = SideRun(answers)
    sampling = decoding.temperature > 0
    started = time.monotonic()
    for start in range(0, len(order), decoding.batch_size):
        rows = order[start : start + decoding.batch_size]
        batch = tokenizer(
            [prompts[i] for i in rows],
            return_tensors="pt",
            padding=True,
            truncation=True,
            max_length=decoding.max_prompt_tokens,
            add_special_tokens=False,
        )
        batch = batch.to(tuned.model.device)
        if sampling:
            torch.manual_seed(decoding.seed + start)
        with torch.no_grad():
            output = tuned.model.generate(
                **batch,
                max_new_tokens=decoding.max_new_tokens,
                do_sample=sampling,
                temperature=decoding.temperature if sampling else None,
                top_p=decoding.top_p if sampling else None,
                top_k=None,
                pad_token_id=tuned.pad_id,
                eos_token_id=eos,
            )
        new = output[:, batch["input_ids"].shape[1] :]
        for row, tokens in zip(rows, new.tolist(), strict=True):
            if eos in tokens:
                tokens = tokens[: tokens.index(eos) + 1]
                run.stopped += 1
            run.new_tokens += len(tokens)
            answers[row] = tokenizer.decode(tokens, skip_special_tokens=True).strip()
    run.seconds = time.monotonic() - started
    return run


def generate_answers(
    tuned: TunedModel, items: list[EvalItem], template: str, decoding: Decoding = Decoding()
) -> AnswerRun:
    prompts = [eval_prompt(item, template, tuned.tokenizer) for item in items]
    with tuned.base():
        base = _generate_side(tuned, prompts, decoding)
    tuned_run = _generate_side(tuned, prompts, decoding)
    return AnswerRun(base, tuned_run, decoding, template)
