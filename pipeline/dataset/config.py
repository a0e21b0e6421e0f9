"""The dataset sections of a run config: the `exports:` list, and `history:`, how a build of a
dataset relates to the earlier builds of the same name; and the formats of `seedforge export`."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from pipeline.settings import StrictModel

ExportName = Literal["alpaca_json", "jsonl", "sharegpt", "openai_chat", "parquet"]
ALL_FORMATS: tuple[ExportName, ...] = ("alpaca_json", "jsonl", "sharegpt", "openai_chat", "parquet")


_LICENSE_ID = re.compile(r"[a-z0-9][a-z0-9.+-]*")


def check_license_id(value: str) -> str:
    """A Hugging Face licence id ("cc-by-4.0", "apache-2.0", "other"): the Hub refuses a card
    whose licence is anything else."""
    if not _LICENSE_ID.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a licence id: lower-case letters, digits, '.', '-' and '+' "
            "(e.g. cc-by-4.0, apache-2.0, mit, other)"
        )
    return value


LicenseId = Annotated[str, AfterValidator(check_license_id)]


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
