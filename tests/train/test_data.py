from pathlib import Path

import pytest
from transformers import AutoTokenizer

from pipeline.errors import SeedforgeError
from pipeline.records import AlpacaRecord, Lineage
from pipeline.train.data import IGNORE, collate, render_prompt, tokenize_record

RECORD = AlpacaRecord(instruction="Name a primary colour.", output="Red.", lineage=Lineage(generator="t"))


@pytest.fixture(scope="module")
def tokenizer(smol_tokenizer_dir: Path):
    return AutoTokenizer.from_pretrained(smol_tokenizer_dir)


def test_embedded_tokenizer_has_pad_equal_to_eos(tokenizer) -> None:
    assert tokenizer.pad_token_id == tokenizer.eos_token_id  # the trap the collator must avoid


def test_prompt_is_masked_and_eos_is_learned(tokenizer) -> None:
    example = tokenize_record(RECORD, tokenizer, template="alpaca", cutoff=256,
                              train_on_inputs=False, add_eos=True)
    prompt_len = len(tokenizer(render_prompt(RECORD, "alpaca"), add_special_tokens=False)["input_ids"])
    assert example.labels[:prompt_len] == [IGNORE] * prompt_len
    assert example.labels[-1] == tokenizer.eos_token_id == example.input_ids[-1]
    assert tokenizer.decode(example.labels[prompt_len:-1]) == "Red."


def test_train_on_inputs_labels_everything(tokenizer) -> None:
    example = tokenize_record(RECORD, tokenizer, template="belle", cutoff=256,
                              train_on_inputs=True, add_eos=True)
    assert example.labels == example.input_ids


def test_padding_never_masks_a_real_eos(tokenizer) -> None:
    short = tokenize_record(RECORD, tokenizer, template="alpaca", cutoff=256, train_on_inputs=False, add_eos=True)
    long_record = RECORD.model_copy(update={"output": "Red is a primary colour of paint and light."})
    long = tokenize_record(long_record, tokenizer, template="alpaca", cutoff=256, train_on_inputs=False, add_eos=True)
    batch = collate([short, long], tokenizer.pad_token_id)
    row = batch["labels"][0].tolist()
    assert row[len(short.labels) - 1] == tokenizer.eos_token_id
    assert row[len(short.labels):] == [IGNORE] * (len(long.labels) - len(short.labels))
    assert batch["attention_mask"][0].sum() == len(short.input_ids)


def test_cutoff_truncates_and_counts(tokenizer) -> None:
    example = tokenize_record(RECORD, tokenizer, template="alpaca", cutoff=10, train_on_inputs=False, add_eos=True)
    assert example.truncated and len(example.input_ids) == 10


def test_chat_template_and_unknown_template(tokenizer) -> None:
    assert "<|im_start|>assistant" in render_prompt(RECORD, "chat", tokenizer)
    with pytest.raises(SeedforgeError, match="unknown prompt template"):
        render_prompt(RECORD, "vicuna")
