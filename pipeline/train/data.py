"""Prompt templates, tokenisation with label masks, and collation.

Labels are built from lengths, never by comparing token ids with the pad id: the embedded
tokenizer has pad = eos, and masking by pad id would also mask the EOS the model must learn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipeline.errors import SeedforgeError
from pipeline.records import AlpacaRecord

IGNORE = -100

ALPACA_WITH_INPUT = (
    "Below is an instruction that describes a task, paired with an input that provides further "
    "context. Write a response that appropriately completes the request.\n\n"
    "### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:\n"
)
ALPACA_NO_INPUT = (
    "Below is an instruction that describes a task. Write a response that appropriately "
    "completes the request.\n\n### Instruction:\n{instruction}\n\n### Response:\n"
)
BELLE = "Human: {instruction}{input_block}\n\nAssistant: "
TEMPLATES = ("alpaca", "belle", "chat")


def render_prompt(record: AlpacaRecord, template: str, tokenizer: Any = None) -> str:
    if template == "alpaca":
        form = ALPACA_WITH_INPUT if record.input else ALPACA_NO_INPUT
        return form.format(instruction=record.instruction, input=record.input)
    if template == "belle":
        block = f"\n{record.input}" if record.input else ""
        return BELLE.format(instruction=record.instruction, input_block=block)
    if template == "chat":
        user = f"{record.instruction}\n\n{record.input}" if record.input else record.instruction
        return tokenizer.apply_chat_template(
            [{"role": "user", "content": user}], tokenize=False, add_generation_prompt=True
        )
    raise SeedforgeError(f"unknown prompt template {template!r}; known: {', '.join(TEMPLATES)}")


@dataclass
class Example:
    input_ids: list[int]
    labels: list[int]
    truncated: bool

    @property
    def trained_tokens(self) -> int:
        return sum(1 for label in self.labels if label != IGNORE)


def tokenize_record(
    record: AlpacaRecord, tokenizer: Any, *, template: str, cutoff: int,
    train_on_inputs: bool, add_eos: bool,
) -> Example:
    prompt_ids = tokenizer(render_prompt(record, template, tokenizer), add_special_tokens=False)["input_ids"]
    response_ids = tokenizer(record.output, add_special_tokens=False)["input_ids"]
    if add_eos:
        response_ids = response_ids + [tokenizer.eos_token_id]
    input_ids = prompt_ids + response_ids
    labels = (list(input_ids) if train_on_inputs
              else [IGNORE] * len(prompt_ids) + list(response_ids))
    truncated = len(input_ids) > cutoff
    return Example(input_ids[:cutoff], labels[:cutoff], truncated)


def collate(examples: list[Example], pad_id: int) -> dict[str, Any]:
    """Right padding; attention mask and label padding come from each example's length."""
    import torch

    width = max(len(e.input_ids) for e in examples)
    input_ids = torch.full((len(examples), width), pad_id, dtype=torch.long)
    labels = torch.full((len(examples), width), IGNORE, dtype=torch.long)
    attention = torch.zeros((len(examples), width), dtype=torch.long)
    for row, example in enumerate(examples):
        size = len(example.input_ids)
        input_ids[row, :size] = torch.tensor(example.input_ids)
        labels[row, :size] = torch.tensor(example.labels)
        attention[row, :size] = 1
    return {"input_ids": input_ids, "attention_mask": attention, "labels": labels}


def summed_token_loss(model: Any, batch: dict[str, Any]) -> tuple[Any, int]:
    """Sum of next-token cross-entropy over labelled tokens, and their count; callers divide,
    so gradient accumulation and evaluation weight every token equally."""
    import torch.nn.functional as F

    logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    shift_logits = logits[:, :-1, :].float()
    shift_labels = batch["labels"][:, 1:]
    loss = F.cross_entropy(
        shift_logits.reshape(-1, shift_logits.size(-1)), shift_labels.reshape(-1),
        ignore_index=IGNORE, reduction="sum",
    )
    return loss, int((shift_labels != IGNORE).sum())
