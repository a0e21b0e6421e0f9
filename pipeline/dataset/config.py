"""The dataset sections of a run config: the `exports:` list, and `history:`, how a build of a
dataset relates to the earlier builds of the same name; and the formats of `seedforge export`."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from pipeline.settings import StrictModel

ExportName = Literal["alpaca_json", "jsonl", "sharegpt", "openai_chat", "parquet"]
ALL_FORMATS: tuple[ExportName, ...] = ("alpaca_json", "jsonl", "sharegpt", "openai_chat", "parquet")


class ExportFormat(StrEnum):
    """What `seedforge export` writes: one format, train and test splits."""

    alpaca = "alpaca"
    sharegpt = "sharegpt"
    openai = "openai"
    parquet = "parquet"
    hf = "hf"
    llama_factory = "llama-factory"


class HistoryConfig(StrictModel):
    """Every build of a dataset name adds to what the earlier ones kept: its prompts draw on
    their instructions, and curation rejects duplicates of their records (exact, MinHash and
    the ROUGE-L novelty rule) through a persistent index, committed when a version is published."""

    dedup: bool = Field(
        default=True,
        description="Curate against every earlier build of this dataset name (exact, MinHash, ROUGE-L)",
    )
    index: str | None = Field(
        default=None,
        description="The index of earlier builds: a directory or a redis:// URL; "
        "null: SEEDFORGE_REDIS_URL when set, else DATA_DIR/index/NAME",
    )
