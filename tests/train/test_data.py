from pathlib import Path

import pytest
from transformers import AutoTokenizer

from pipeline.errors import SeedforgeError
from pipeline.records import AlpacaRecord, DialogueRecord, Lineage
from pipeline.train.batching import collate
from pipeline.train.config import TrainConfig
from pipeline.train.data import IGNORE, prepare_examples, tokenize_record
from pipeline.train.templates import render_prompt

LINEAGE = Lineage(generator="t")
RECORD = AlpacaRecord(instruction="Name a primary colour.", output="Red.", lineage=LINEAGE)
DIALOGUE = DialogueRecord(
    messages=[
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello there."},
        {"role": "user", "content": "Bye"},
        {"role": "assistant", "content": "Goodbye!"},
    ],
    lineage=LINEAGE,
)


@pytest.fixture(scope="module")
def tokenizer(smol_tokenizer_dir: Path):
    return AutoTokenizer.from_pretrained(smol_tokenizer_dir)


def _tokenize(record, tokenizer, template="alpaca", cutoff=256, train_on_inputs=False, add_eos=True):
    return tokenize_record(
        record, tokenizer, template=template, cutoff=cutoff, train_on_inputs=train_on_inputs, add_eos=add_eos
    )


def _labelled_text(example, tokenizer) -> str:
    return tokenizer.decode([t for t in example.labels if t != IGNORE])


def test_embedded_tokenizer_has_pad_equal_to_eos(tokenizer) -> None:
    assert tokenizer.pad_token_id == tokenizer.eos_token_id  # the trap the collator must avoid


@pytest.mark.parametrize("template", ["alpaca", "belle"])
def test_prompt_is_masked_and_eos_is_learned(tokenizer, template: str) -> None:
    example = _tokenize(RECORD, tokenizer, template)
    prompt_len = len(tokenizer(render_prompt(RECORD, template), add_special_tokens=False)["input_ids"])
    assert example.labels[:prompt_len] == [IGNORE] * prompt_len
    assert example.labels[-1] == tokenizer.eos_token_id == example.input_ids[-1]
    assert tokenizer.decode(example.labels[prompt_len:-1]) == "Red."


def test_alpaca_template_with_and_without_input(tokenizer) -> None:
    with_input = RECORD.model_copy(update={"input": "paint"})
    assert "### Input:\npaint" in render_prompt(with_input, "alpaca")
    assert "### Input" not in render_prompt(RECORD, "alpaca")
    assert render_prompt(with_input, "belle") == "Human: Name a primary colour.\npaint\n\nAssistant: "


def test_without_add_eos_no_eos_is_appended(tokenizer) -> None:
    example = _tokenize(RECORD, tokenizer, add_eos=False)
    assert tokenizer.eos_token_id not in example.input_ids


def test_train_on_inputs_labels_everything(tokenizer) -> None:
    example = _tokenize(RECORD, tokenizer, "belle", train_on_inputs=True)
    assert example.labels == example.input_ids


def test_padding_never_masks_a_real_eos(tokenizer) -> None:
    short = _tokenize(RECORD, tokenizer)
    long = _tokenize(
        RECORD.model_copy(update={"output": "Red is a primary colour of paint and light."}), tokenizer
    )
    batch = collate([short, long], tokenizer.pad_token_id)
    row = batch["labels"][0].tolist()
    assert row[len(short.labels) - 1] == tokenizer.eos_token_id
    assert row[len(short.labels) :] == [IGNORE] * (len(long.labels) - len(short.labels))
    assert batch["attention_mask"][0].sum() == len(short.input_ids)


def test_dialogue_loss_is_on_assistant_turns_only(tokenizer) -> None:
    example = _tokenize(DIALOGUE, tokenizer, template="alpaca")  # messages always use the chat template
    assert tokenizer.decode(example.input_ids) == tokenizer.apply_chat_template(
        [m.model_dump() for m in DIALOGUE.messages], tokenize=False
    )
    # each answer with its end-of-turn token (= EOS here), nothing of system, user or markup
    assert _labelled_text(example, tokenizer) == "Hello there.<|im_end|>Goodbye!<|im_end|>"
    everything = _tokenize(DIALOGUE, tokenizer, train_on_inputs=True)
    assert everything.labels == everything.input_ids


def test_alpaca_record_under_chat_template_learns_only_the_answer(tokenizer) -> None:
    example = _tokenize(RECORD, tokenizer, template="chat")
    assert _labelled_text(example, tokenizer) == "Red.<|im_end|>"
    prompt = render_prompt(RECORD, "chat", tokenizer)
    assert tokenizer.decode(example.input_ids).startswith(prompt)


def test_cutoff_truncates_without_eos_and_counts(tokenizer) -> None:
    full = _tokenize(RECORD, tokenizer)
    example = _tokenize(RECORD, tokenizer, cutoff=len(full.input_ids) - 1)
    assert example.truncated and example.input_ids == full.input_ids[:-1]
    assert tokenizer.eos_token_id not in example.labels


def test_overlength_policy_truncates_or_drops_and_counts(tokenizer) -> None:
    long = RECORD.model_copy(update={"output": "word " * 80})
    records = [RECORD, long]
    kept, report = prepare_examples(records, tokenizer, TrainConfig(cutoff_len=64))
    assert (len(kept), report.longer_than_cutoff, report.truncated, report.dropped) == (2, 1, 1, {})
    kept, report = prepare_examples(records, tokenizer, TrainConfig(cutoff_len=64, overlength="drop"))
    assert (len(kept), report.dropped) == (1, {"longer_than_cutoff": 1})


def test_records_whose_prompt_fills_the_cutoff_are_dropped_or_a_clear_error(tokenizer) -> None:
    long_prompt = RECORD.model_copy(update={"instruction": "explain " * 100})
    kept, report = prepare_examples([RECORD, long_prompt], tokenizer, TrainConfig(cutoff_len=48))
    assert len(kept) == 1 and report.dropped == {"no_answer_within_cutoff": 1}
    with pytest.raises(SeedforgeError, match="no train record is left.*--cutoff-len"):
        prepare_examples([long_prompt], tokenizer, TrainConfig(cutoff_len=16))


def test_an_opening_assistant_greeting_is_context(tokenizer) -> None:
    greeting = DialogueRecord(
        messages=[
            {"role": "assistant", "content": "How can I help?"},
            {"role": "user", "content": "Bye"},
            {"role": "assistant", "content": "Goodbye!"},
        ],
        lineage=LINEAGE,
    )
    assert _labelled_text(_tokenize(greeting, tokenizer), tokenizer) == "Goodbye!<|im_end|>"
