"""The size study's settings (`seedforge study sizes --config FILE`, the size-study flow's form)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from pipeline.evaluate.config import EvaluateConfig
from pipeline.llm.config import LLMConfig
from pipeline.settings import StrictModel
from pipeline.train.config import TrainConfig

Metric = Literal["auto", "judge", "rouge_l", "semantic"]


def _study_train() -> TrainConfig:
    # a study trains several adapters on small subsets: a few epochs of small steps, so the
    # smallest subset still takes more than a handful of optimizer steps
    return TrainConfig(epochs=3, learning_rate=1e-3, batch_size=8, micro_batch_size=4, warmup_steps=2)


class SizeStudyConfig(StrictModel):
    sizes: list[float] = Field(
        default_factory=lambda: [0.25, 0.5, 1.0],
        description="Increasing subset sizes: fractions of the train split (all <= 1), "
        "or record counts (all > 1)",
    )
    categories: list[str] | None = Field(
        default=None, description="Study only these categories (train and eval); default: all"
    )
    per_category: bool = Field(
        default=True, description="Scores and verdicts per category (the eval set needs categories)"
    )
    seed: int = Field(default=0, description="Seeds the subsets' sampling")
    metric: Metric = Field(
        default="auto",
        description="Per-item score: judge (0-1), rouge_l or semantic; "
        "auto = judge when judging, else rouge_l",
    )
    margin: float = Field(
        default=0.02,
        ge=0,
        le=1,
        description="A doubling that gains less than this (score units) has saturated",
    )
    confidence: float = Field(default=0.95, gt=0, lt=1)
    bootstrap_samples: int = Field(default=2000, ge=100)
    train: TrainConfig = Field(default_factory=_study_train)
    evaluate: EvaluateConfig = Field(default_factory=lambda: EvaluateConfig(judge=False))
    judge: LLMConfig = Field(
        default_factory=LLMConfig,
        description="Judge endpoint when evaluate.judge is on; empty base_url = embedded",
    )

    @field_validator("sizes")
    @classmethod
    def _increasing(cls, sizes: list[float]) -> list[float]:
        if not sizes:
            raise ValueError("sizes is empty")
        if any(size <= 0 for size in sizes):
            raise ValueError(f"sizes must be positive, got {sizes}")
        if any(b <= a for a, b in zip(sizes, sizes[1:], strict=False)):
            raise ValueError(
                f"sizes must be strictly increasing (each subset contains the smaller ones), got {sizes}"
            )
        fractions = [size <= 1 for size in sizes]
        if any(fractions) and not all(fractions):
            raise ValueError(f"sizes mix fractions (<= 1) and record counts (> 1): {sizes}")
        if not any(fractions) and any(size != int(size) for size in sizes):
            raise ValueError(f"record counts must be whole numbers, got {sizes}")
        return sizes

    @model_validator(mode="after")
    def _judge_metric_needs_judge(self) -> SizeStudyConfig:
        if self.metric == "judge" and not self.evaluate.judge:
            raise ValueError("metric judge needs evaluate.judge on")
        return self

    def score_metric(self) -> str:
        if self.metric != "auto":
            return self.metric
        return "judge" if self.evaluate.judge else "rouge_l"
