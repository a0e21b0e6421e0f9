"""The `generate:` section of a run config. `pipeline.config` re-exports `GenerateConfig`, so YAML
files, the Prefect form and `seedforge generate self-instruct` share it. (This module must not
import `pipeline.config`: that module imports this one.)"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from pipeline.evaluate.rubrics import canonical_category
from pipeline.generate.categories import BELLE_CATEGORIES, OTHER, canonical_categories
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
    parallel_batches: int = Field(
        default=1,
        ge=1,
        description="Batches in flight at once. Batch n starts once batch n-P is curated and draws "
        "on the pool as it stood then (not on the batches still in flight); batches are curated "
        "in order, so reruns replay the same requests. Requests in flight stay bounded by "
        "the LLM controls",
    )
    random_seed: int = 0
    categories: list[str] = Field(
        default_factory=lambda: list(BELLE_CATEGORIES),
        description="The task categories a record may carry (BELLE's by default); names are "
        'folded to one spelling ("Open QA" is open_qa) and `other` is always among them',
    )
    categorize: bool = Field(
        default=True,
        description="Ask the model for each new task's category (one short request per task, "
        "journaled) unless the seeds its prompt showed all name the same one; off: a record "
        "carries a category only when its prompt's seeds agree on one",
    )
    category_quota: dict[str, int] | None = Field(
        default=None,
        description="Most records a build accepts per category (e.g. {math: 50, code: 50}); "
        "categories not named are uncapped. Full categories' tasks are dropped before their "
        "instances are paid for, and prompts are steered to seeds of categories with room",
    )

    @field_validator("categories")
    @classmethod
    def _canonical_categories(cls, names: list[str]) -> list[str]:
        if not names:
            raise ValueError("needs at least one category (the default is BELLE's list)")
        if any(not name.strip() for name in names):
            raise ValueError("a category name is empty")
        folded = canonical_categories(names)
        # an unreadable categorisation answer lands in `other`, so it must be a category
        return folded if OTHER in folded else [*folded, OTHER]

    @field_validator("category_quota")
    @classmethod
    def _canonical_quota(cls, quota: dict[str, int] | None, info: ValidationInfo) -> dict[str, int] | None:
        """Keys folded like `categories` and each one of them (checked here, not on the whole
        model, so an error names the `category_quota` line of a YAML file)."""
        if quota is None:
            return None
        folded: dict[str, int] = {}
        spelled: dict[str, str] = {}
        for name, cap in quota.items():
            if not name.strip():
                raise ValueError("a category name is empty")
            if cap < 0:
                raise ValueError(f"the quota of {name!r} is negative ({cap})")
            key = canonical_category(name)
            if key in folded:
                raise ValueError(f"names category {key!r} twice (as {spelled[key]!r} and {name!r})")
            folded[key], spelled[key] = cap, name
        categories = info.data.get("categories")  # absent when the list itself was invalid
        unknown = [spelled[key] for key in folded if categories is not None and key not in categories]
        if unknown:
            names = ", ".join(repr(name) for name in unknown)
            raise ValueError(f"names {names}, not in categories ({', '.join(categories or [])})")
        return folded
