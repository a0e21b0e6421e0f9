"""Records to token ids and labels.

Labels are built from lengths and turn boundaries, never by comparing token ids with the pad
id: the embedded tokenizer has pad = eos, and masking by pad id would also mask the EOS the
model must learn. Prompt tokens (and, in dialogues, everything but assistant answers) get the
ignore label unless training on inputs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pipeline.errors import SeedforgeError
from pipeline.records import DialogueRecord, Record
from pipeline.train.config import TrainConfig
from pipeline.train.templates import (
    TrainingTemplate,
    alpaca_as_messages,
    chat_segments,
    render_prompt,
    resolve_template,
)

IGNORE = -100

__all__ = [
    "IGNORE",
    "Example",
    "DataReport",
    "prepare_examples",
    "render_prompt",
    "tokenize_all",
    "tokenize_record",
]


@dataclass
class Example:
    input_ids: list[int]
    labels: list[int]
    truncated: bool

    @property
    def trained_tokens(self) -> int:
        """Labels the loss can reach: the first token has nothing before it to predict it."""
        return sum(1 for label in self.labels[1:] if label != IGNORE)


def _ids(tokenizer: Any, text: str) -> list[int]:
    ids: list[int] = tokenizer(text, add_special_tokens=False)["input_ids"]
    return ids


def _cut(input_ids: list[int], labels: list[int], cutoff: int) -> Example:
    # a cut record keeps no EOS: the model must not learn to stop where the cutoff fell
    return Example(input_ids[:cutoff], labels[:cutoff], len(input_ids) > cutoff)


def _answer_labels(ids: list[int], eos_id: int | None) -> list[int]:
    """An assistant answer is learned up to and including its end-of-turn token; what the
    template puts after it (a line break before the next turn) is not the model's to say."""
    end = len(ids)
    if eos_id is not None and eos_id in ids:
        end = len(ids) - ids[::-1].index(eos_id)
    return ids[:end] + [IGNORE] * (len(ids) - end)


def tokenize_dialogue(
    messages: list[dict[str, str]],
    tokenizer: Any,
    *,
    cutoff: int,
    train_on_inputs: bool,
) -> Example:
    """The chat template's rendering; the loss covers assistant turns only (with their
    end-of-turn token), or every token when training on inputs."""
    input_ids: list[int] = []
    labels: list[int] = []
    for text, is_answer in chat_segments(messages, tokenizer):
        ids = _ids(tokenizer, text)
        input_ids += ids
        if train_on_inputs:
            labels += ids
        elif is_answer:
            labels += _answer_labels(ids, tokenizer.eos_token_id)
        else:
            labels += [IGNORE] * len(ids)
    return _cut(input_ids, labels, cutoff)


def tokenize_record(
    record: Record,
    tokenizer: Any,
    *,
    template: str | TrainingTemplate,
    cutoff: int,
    train_on_inputs: bool,
    add_eos: bool,
) -> Example:
    resolved = resolve_template(template) if isinstance(template, str) else template
    if isinstance(record, DialogueRecord):
        messages = [m.model_dump() for m in record.messages]
        return tokenize_dialogue(messages, tokenizer, cutoff=cutoff, train_on_inputs=train_on_inputs)
    if resolved.chat:
        return tokenize_dialogue(
            alpaca_as_messages(record), tokenizer, cutoff=cutoff, train_on_inputs=train_on_inputs
        )
    # prompt and answer are tokenised apart, as at inference: the prompt is sent alone and
    # the answer is generated after it, so no token straddles the boundary
    prompt_ids = _ids(tokenizer, resolved.render(record))
    response_ids = _ids(tokenizer, record.output)
    if add_eos:
        response_ids = response_ids + [tokenizer.eos_token_id]
    input_ids = prompt_ids + response_ids
    labels = list(input_ids) if train_on_inputs else [IGNORE] * len(prompt_ids) + response_ids
    return _cut(input_ids, labels, cutoff)


def tokenize_all(records: list[Record], tokenizer: Any, config: TrainConfig) -> list[Example]:
    """One example per record, cut at the cutoff (scoring keeps every record)."""
    template = resolve_template(config.template)
    return [
        tokenize_record(
            r,
            tokenizer,
            template=template,
            cutoff=config.cutoff_len,
            train_on_inputs=config.train_on_inputs,
            add_eos=config.add_eos,
        )
        for r in records
    ]


@dataclass
class DataReport:
    """What tokenisation did to the records: every drop is counted with its reason."""

    records: int = 0
    examples: int = 0
    longer_than_cutoff: int = 0
    truncated: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    input_tokens: int = 0
    trained_tokens: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "examples": self.examples,
            "longer_than_cutoff": self.longer_than_cutoff,
            "truncated": self.truncated,
            "dropped": dict(self.dropped),
            "input_tokens": self.input_tokens,
            "trained_tokens": self.trained_tokens,
        }


def prepare_examples(
    records: list[Record],
    tokenizer: Any,
    config: TrainConfig,
    *,
    split: str = "train",
) -> tuple[list[Example], DataReport]:
    """Training examples under the overlength policy; records left with nothing to learn
    (the prompt alone fills the cutoff) are dropped and counted."""
    report = DataReport(records=len(records))
    kept: list[Example] = []
    for example in tokenize_all(records, tokenizer, config):
        if example.truncated:
            report.longer_than_cutoff += 1
            if config.overlength == "drop":
                report.dropped["longer_than_cutoff"] = report.dropped.get("longer_than_cutoff", 0) + 1
                continue
            report.truncated += 1
        if example.trained_tokens == 0:
            report.dropped["no_answer_within_cutoff"] = report.dropped.get("no_answer_within_cutoff", 0) + 1
            continue
        kept.append(example)
    report.examples = len(kept)
    report.input_tokens = sum(len(e.input_ids) for e in kept)
    report.trained_tokens = sum(e.trained_tokens for e in kept)
    if records and not kept:
        reasons = ", ".join(f"{n} {reason}" for reason, n in report.dropped.items())
        raise SeedforgeError(
            f"no {split} record is left to learn from ({reasons}); raise "
            f"--cutoff-len (now {config.cutoff_len}) or use --overlength truncate"
        )
    return kept, report
