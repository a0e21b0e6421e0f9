"""Which examples each optimizer step sees, how they are laid out in rows, and the loss.

An optimizer step always consumes `batch_size` examples chosen by the epoch plan; packing and
micro-batching only change how those examples are laid out for the forward passes, never which
tokens the step's loss covers. Packing puts several examples in one row with positions
restarting at 0 for each and no attention mask: transformers reads the sequence boundaries from
the position ids, so no example attends to another — SDPA and eager attention get a
block-causal mask built from them, FlashAttention its variable-length kernel with no mask at
all. A packed step computes the same loss as an unpacked one, with less padding.
"""

from __future__ import annotations

import random
from typing import Any

from pipeline.train.data import IGNORE, Example

MEGABATCH_MICRO_BATCHES = 50  # as transformers' LengthGroupedSampler: sort within 50 micro-batches

Row = list[int]  # indices of the examples laid out one after another in one row


def epoch_plan(
    lengths: list[int],
    *,
    batch_size: int,
    micro_batch_size: int,
    group_by_length: bool,
    seed: int,
    epoch: int,
) -> list[list[int]]:
    """The example indices of every optimizer step of one epoch. Derived from (seed, epoch)
    alone, so a resumed run rebuilds exactly the plan it was interrupted in."""
    rng = random.Random(f"{seed}:{epoch}")
    order = list(range(len(lengths)))
    rng.shuffle(order)
    if group_by_length:
        # sort within megabatches so each micro-batch holds similar lengths, then shuffle the
        # micro-batches so steps still mix short and long ones
        span = MEGABATCH_MICRO_BATCHES * micro_batch_size
        grouped: list[list[int]] = []
        for start in range(0, len(order), span):
            mega = sorted(order[start : start + span], key=lambda i: -lengths[i])
            grouped += [mega[s : s + micro_batch_size] for s in range(0, len(mega), micro_batch_size)]
        rng.shuffle(grouped)
        order = [i for micro in grouped for i in micro]
    return [order[s : s + batch_size] for s in range(0, len(order), batch_size)]


def pack_rows(indices: list[int], lengths: list[int], capacity: int) -> list[Row]:
    """First-fit decreasing: whole examples only, each row at most `capacity` tokens."""
    rows: list[Row] = []
    room: list[int] = []
    for index in sorted(indices, key=lambda i: (-lengths[i], i)):
        size = lengths[index]
        slot = next((r for r, free in enumerate(room) if free >= size), None)
        if slot is None:
            rows.append([index])
            room.append(capacity - size)
        else:
            rows[slot].append(index)
            room[slot] -= size
    return rows


def step_micro_batches(
    indices: list[int],
    lengths: list[int],
    *,
    micro_batch_size: int,
    packing: bool,
    capacity: int,
) -> list[list[Row]]:
    """The forward passes of one step: lists of rows; without packing, one example per row."""
    rows = pack_rows(indices, lengths, capacity) if packing else [[i] for i in indices]
    return [rows[s : s + micro_batch_size] for s in range(0, len(rows), micro_batch_size)]


def collate_rows(rows: list[list[Example]], pad_id: int) -> dict[str, Any]:
    """Right padding. Labels, positions and the mask come from each example's length, so pad
    = eos never hides a real EOS. With more than one example in any row there is no mask: the
    positions restart at 0 for every example, and every padding position is 0 too, so each
    padding token is a sequence of its own that attends only to itself."""
    import torch

    widths = [sum(len(e.input_ids) for e in row) for row in rows]
    width = max(widths)
    shape = (len(rows), width)
    input_ids = torch.full(shape, pad_id, dtype=torch.long)
    labels = torch.full(shape, IGNORE, dtype=torch.long)
    positions = torch.zeros(shape, dtype=torch.long)
    segments = torch.zeros(shape, dtype=torch.long)  # 0 = padding
    for r, row in enumerate(rows):
        at = 0
        for s, example in enumerate(row, start=1):
            size = len(example.input_ids)
            input_ids[r, at : at + size] = torch.tensor(example.input_ids)
            labels[r, at : at + size] = torch.tensor(example.labels)
            positions[r, at : at + size] = torch.arange(size)
            segments[r, at : at + size] = s
            at += size
    # a label at the first token of a packed example must not be predicted from the previous
    # example's last token: the loss shifts by one, so drop labels that start a segment
    starts = torch.zeros(shape, dtype=torch.bool)
    starts[:, 0] = True
    starts[:, 1:] = segments[:, 1:] != segments[:, :-1]
    labels[starts] = IGNORE
    batch = {
        "input_ids": input_ids,
        "labels": labels,
        "position_ids": positions,
        "input_tokens": int((segments > 0).sum()),
    }
    batch["attention_mask"] = (segments > 0).long() if max(len(row) for row in rows) == 1 else None
    return batch


def collate(examples: list[Example], pad_id: int) -> dict[str, Any]:
    """One example per row."""
    return collate_rows([[e] for e in examples], pad_id)


# model types whose causal-LM head is exactly lm_head(decoder(...)): no logit scaling or
# soft-capping, so the head can run on the labelled positions only
_PLAIN_HEAD_MODELS = {"llama", "mistral", "qwen2", "qwen3", "smollm3"}


def _hidden_and_head(model: Any) -> tuple[Any, Any] | None:
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    if getattr(base.config, "model_type", None) not in _PLAIN_HEAD_MODELS:
        return None
    decoder = getattr(base, "model", None)
    head = base.get_output_embeddings()
    return (decoder, head) if decoder is not None and head is not None else None


def summed_token_loss(model: Any, batch: dict[str, Any]) -> tuple[Any, int]:
    """Sum of next-token cross-entropy over labelled tokens, and their count; callers divide,
    so gradient accumulation and evaluation weight every token equally. The vocabulary head
    runs only where there is a label: on Alpaca data that skips most of its cost."""
    import torch.nn.functional as F

    shift_labels = batch["labels"][:, 1:]
    wanted = shift_labels != IGNORE
    inputs = {
        "input_ids": batch["input_ids"],
        "position_ids": batch["position_ids"],
        "attention_mask": batch["attention_mask"],
        # no key/value cache: with one, transformers would not read packed boundaries from
        # the positions (and a loss needs none)
        "use_cache": False,
    }
    parts = _hidden_and_head(model)
    if parts is None:
        logits = model(**inputs).logits[:, :-1][wanted]
    else:
        decoder, head = parts
        hidden = decoder(**inputs).last_hidden_state
        logits = head(hidden[:, :-1][wanted])
    loss = F.cross_entropy(logits.float(), shift_labels[wanted], reduction="sum")
    return loss, int(wanted.sum())
