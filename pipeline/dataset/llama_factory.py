"""LLaMA-Factory's `dataset_info.json`: one entry per exported file it can read, keyed by the
name a user passes as `dataset:` (train files) or `eval_dataset:` (test files).

The entries follow LLaMA-Factory's documented schema (its `data/README.md`): `file_name`
relative to the folder, `formatting` ("alpaca" or "sharegpt"), `columns` naming the file's keys
and, for the sharegpt formatting, `tags` naming the role key, the content key and the role
values. Once an entry has `columns` (or `tags`), a key it leaves out counts as absent, not as
the default, so every entry names all the keys its file uses. Each file holds one split, read
as LLaMA-Factory's default split `train`, so no entry sets `split`."""

from __future__ import annotations

from typing import Any

ALPACA_COLUMNS = {"prompt": "instruction", "query": "input", "response": "output"}
# a set with dialogues exports Alpaca rows with the system prompt and the earlier turns
DIALOGUE_ALPACA_COLUMNS = {**ALPACA_COLUMNS, "system": "system", "history": "history"}
SHAREGPT_TAGS = {
    "role_tag": "from",
    "content_tag": "value",
    "user_tag": "human",
    "assistant_tag": "gpt",
    "system_tag": "system",
}
# OpenAI's chat format is LLaMA-Factory's sharegpt formatting with OpenAI's keys and roles
OPENAI_TAGS = {
    "role_tag": "role",
    "content_tag": "content",
    "user_tag": "user",
    "assistant_tag": "assistant",
    "system_tag": "system",
}
# shape -> the suffix of its entries' names
ENTRY_SUFFIX = {"alpaca": "", "sharegpt": "_sharegpt", "openai": "_openai"}


def entry(shape: str, file_name: str, dialogues: bool) -> dict[str, Any]:
    """The dataset_info.json entry of one file in one shape (alpaca, sharegpt or openai)."""
    if shape == "alpaca":
        columns = DIALOGUE_ALPACA_COLUMNS if dialogues else ALPACA_COLUMNS
        return {"file_name": file_name, "formatting": "alpaca", "columns": dict(columns)}
    if shape == "sharegpt":
        return {
            "file_name": file_name,
            "formatting": "sharegpt",
            "columns": {"messages": "conversations"},
            "tags": dict(SHAREGPT_TAGS),
        }
    if shape == "openai":
        return {
            "file_name": file_name,
            "formatting": "sharegpt",
            "columns": {"messages": "messages"},
            "tags": dict(OPENAI_TAGS),
        }
    raise ValueError(f"LLaMA-Factory reads no {shape!r} file")


def entry_name(dataset: str, shape: str, split: str) -> str:
    """`NAME` for the Alpaca train file, `NAME_test` for its test file, `NAME_sharegpt`, …"""
    return dataset + ENTRY_SUFFIX[shape] + ("" if split == "train" else f"_{split}")


def dataset_info(dataset: str, written: dict[str, dict[str, str]], dialogues: bool) -> dict[str, Any]:
    """Entries for the files written ({shape: {split: file name}}) that LLaMA-Factory reads."""
    return {
        entry_name(dataset, shape, split): entry(shape, file_name, dialogues)
        for shape, files in written.items()
        if shape in ENTRY_SUFFIX
        for split, file_name in files.items()
    }
