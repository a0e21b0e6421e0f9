"""The `generate:` section of a run config. `pipeline.config` re-exports `GenerateConfig`, so YAML
files, the Prefect form and `seedforge generate self-instruct` share it. (This module must not
import `pipeline.config`: that module imports this one.)"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from pipeline.settings import SEEDS_DIR, StrictModel


class GenerateConfig(StrictModel):
    seeds: Path = Field(default=SEEDS_DIR / "seed_tasks_en.jsonl")
    language: Literal["en", "zh"] = "en"
    target: int = Field(default=40, ge=1, description="Stop once this many records are accepted")
    max_requests: int = Field(
        default=60,
        ge=1,
        description="Hard cap on generation requests "
        "(new tasks, classification questions and instances together)",
    )
    # self-instruct: 6 human seeds + 2 machine tasks per prompt; Alpaca: 3 seeds, 20 new tasks
    seeds_per_prompt: int = Field(default=6, ge=1, description="Human seed tasks shown per prompt")
    machine_per_prompt: int = Field(default=2, ge=0, description="Accepted machine tasks shown per prompt")
    tasks_per_request: int = Field(default=8, ge=1, description="New tasks asked for per prompt")
    answer_format: Literal["json", "text"] = Field(
        default="json",
        description="json: answers constrained to a JSON schema; text: numbered and "
        "labelled plain text, for endpoints without structured output (parsing reads both)",
    )
    identify_classification: bool = Field(
        default=True,
        description="Ask the model whether each new task is a classification task "
        "(its instances are then written label first); off: every new task is ordinary",
    )
    instances_per_task: int = Field(
        default=2, ge=1, description="Instances asked for per new task; every valid one becomes a record"
    )
    random_seed: int = 0
