"""The export formats a dataset version can be written in: the `exports:` list of a run config."""

from __future__ import annotations

from typing import Literal

ExportName = Literal["alpaca_json", "jsonl", "sharegpt", "openai_chat", "parquet"]
ALL_FORMATS: tuple[ExportName, ...] = ("alpaca_json", "jsonl", "sharegpt", "openai_chat", "parquet")
