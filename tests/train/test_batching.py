from pathlib import Path

import pytest
import torch
from transformers import AutoModelForCausalLM

from pipeline.train.batching import (
    collate,
    collate_rows,
    epoch_plan,
    pack_rows,
    step_micro_batches,
    summed_token_loss,
)
from pipeline.train.data import IGNORE, Example

LENGTHS = [5, 40, 12, 33, 7, 21, 3, 18, 9, 27, 14, 30]


def _example(size: int, prompt: int, seed: int) -> Example:
    generator = torch.Generator().manual_seed(seed)
    ids = torch.randint(20, 4000, (size,), generator=generator).tolist()
    return Example(ids, [IGNORE] * prompt + ids[prompt:], False)


def test_epoch_plan_covers_every_example_once_and_depends_only_on_seed_and_epoch() -> None:
    plan = epoch_plan(LENGTHS, batch_size=5, micro_batch_size=2, group_by_length=False, seed=1, epoch=0)
    assert [len(step) for step in plan] == [5, 5, 2]
    assert sorted(i for step in plan for i in step) == list(range(len(LENGTHS)))
    again = epoch_plan(LENGTHS, batch_size=5, micro_batch_size=2, group_by_length=False, seed=1, epoch=0)
    assert plan == again
    assert plan != epoch_plan(
        LENGTHS, batch_size=5, micro_batch_size=2, group_by_length=False, seed=1, epoch=1
    )


def test_group_by_length_makes_micro_batches_of_similar_length() -> None:
    lengths = [(i * 37) % 200 + 1 for i in range(400)]

    def padding(group: bool) -> int:
        plan = epoch_plan(lengths, batch_size=32, micro_batch_size=4, group_by_length=group, seed=3, epoch=0)
        micro = [step[s : s + 4] for step in plan for s in range(0, len(step), 4)]
        return sum(max(lengths[i] for i in m) * len(m) - sum(lengths[i] for i in m) for m in micro)

    assert padding(True) < padding(False) / 4
    plan = epoch_plan(lengths, batch_size=32, micro_batch_size=4, group_by_length=True, seed=3, epoch=0)
    assert sorted(i for step in plan for i in step) == list(range(400))


def test_packing_keeps_whole_examples_within_capacity() -> None:
    rows = pack_rows(list(range(len(LENGTHS))), LENGTHS, capacity=48)
    assert sorted(i for row in rows for i in row) == list(range(len(LENGTHS)))
    assert all(sum(LENGTHS[i] for i in row) <= 48 for row in rows)
    assert len(rows) == 5  # 219 tokens: 5 rows of 48 is the minimum
    micro = step_micro_batches(list(range(12)), LENGTHS, micro_batch_size=2, packing=True, capacity=48)
    assert [len(m) for m in micro] == [2, 2, 1]


def test_packed_rows_restart_positions_and_carry_no_dense_mask() -> None:
    from transformers.masking_utils import find_packed_sequence_indices

    a, b = _example(4, 1, 0), _example(3, 1, 1)
    batch = collate_rows([[a, b], [a]], pad_id=2)
    assert batch["position_ids"][0].tolist() == [0, 1, 2, 3, 0, 1, 2]
    assert batch["position_ids"][1].tolist() == [0, 1, 2, 3, 0, 0, 0]
    assert batch["attention_mask"] is None  # no width x width mask: boundaries come from positions
    # what transformers reads from the positions: a and b apart, each padding token on its own
    sequences = find_packed_sequence_indices(batch["position_ids"])
    assert sequences[0].tolist() == [0, 0, 0, 0, 1, 1, 1]
    assert sequences[1].tolist() == [0, 0, 0, 0, 1, 2, 3]
    assert batch["labels"][0, 4] == IGNORE  # b's first token is not predicted from a's last
    assert batch["labels"][1, 4:].tolist() == [IGNORE] * 3
    assert batch["input_tokens"] == 11


def _dense_block_mask(position_ids: torch.Tensor) -> torch.Tensor:
    """The 4-D block-diagonal causal mask packing used to pass (True = may attend)."""
    width = position_ids.shape[1]
    starts = torch.ones_like(position_ids, dtype=torch.bool)
    starts[:, 1:] = position_ids[:, 1:] != position_ids[:, :-1] + 1
    segments = starts.cumsum(-1)
    same = segments[:, :, None] == segments[:, None, :]
    return (same & torch.ones(width, width, dtype=torch.bool).tril())[:, None]


@pytest.fixture(scope="module")
def tiny_model(tiny_llama_dir: Path):
    return AutoModelForCausalLM.from_pretrained(tiny_llama_dir).eval()


def test_packed_loss_equals_unpacked_loss(tiny_model) -> None:
    examples = [_example(size, size // 3, seed) for seed, size in enumerate(LENGTHS)]
    with torch.no_grad():
        loss_apart, count_apart = summed_token_loss(tiny_model, collate(examples, pad_id=2))
        rows = pack_rows(list(range(len(examples))), LENGTHS, capacity=64)
        loss_packed, count_packed = summed_token_loss(
            tiny_model, collate_rows([[examples[i] for i in row] for row in rows], pad_id=2)
        )
    assert count_apart == count_packed == sum(e.trained_tokens for e in examples)
    assert float(loss_packed) == pytest.approx(float(loss_apart), rel=1e-5)


@pytest.mark.parametrize("attention", ["sdpa", "eager"])
def test_position_id_packing_loss_equals_the_dense_block_mask_loss(tiny_llama_dir: Path, attention) -> None:
    model = AutoModelForCausalLM.from_pretrained(tiny_llama_dir, attn_implementation=attention).eval()
    examples = [_example(size, size // 3, seed) for seed, size in enumerate(LENGTHS)]
    rows = pack_rows(list(range(len(examples))), LENGTHS, capacity=64)
    batch = collate_rows([[examples[i] for i in row] for row in rows], pad_id=2)
    dense = _dense_block_mask(batch["position_ids"])
    if attention == "eager":  # eager attention adds the mask to its scores
        dense = torch.zeros(dense.shape).masked_fill(~dense, torch.finfo(torch.float32).min)
    with torch.no_grad():
        by_positions, count = summed_token_loss(model, batch)
        by_dense_mask, dense_count = summed_token_loss(model, {**batch, "attention_mask": dense})
        unpacked, _ = summed_token_loss(model, collate(examples, pad_id=2))
    assert count == dense_count
    assert float(by_positions) == pytest.approx(float(by_dense_mask), rel=1e-6)
    assert float(by_positions) == pytest.approx(float(unpacked), rel=1e-5)
    # and the mask matters: one causal mask over the whole row gives another loss
    with torch.no_grad():
        leaked, _ = summed_token_loss(
            model,
            {
                **batch,
                "position_ids": torch.arange(batch["input_ids"].shape[1])[None].expand_as(batch["input_ids"]),
                "attention_mask": torch.ones_like(batch["input_ids"]),
            },
        )
    assert float(leaked) != pytest.approx(float(by_positions), rel=1e-4)


def test_labelled_positions_head_equals_the_full_logits_loss(tiny_model) -> None:
    examples = [_example(size, size // 2, seed) for seed, size in enumerate(LENGTHS[:4])]
    batch = collate(examples, pad_id=2)
    with torch.no_grad():
        fast, count = summed_token_loss(tiny_model, batch)
        logits = tiny_model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
        reference = torch.nn.functional.cross_entropy(
            logits[:, :-1].reshape(-1, logits.size(-1)),
            batch["labels"][:, 1:].reshape(-1),
            ignore_index=IGNORE,
            reduction="sum",
        )
    assert count == int((batch["labels"][:, 1:] != IGNORE).sum())
    assert float(fast) == pytest.approx(float(reference), rel=1e-5)
