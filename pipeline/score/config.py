"""`ScoreConfig`: the scored quality step's settings (a `score:` section of a run config)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from pipeline.llm.config import LLMConfig
from pipeline.settings import StrictModel


class ScoreConfig(StrictModel):
    enabled: bool = Field(default=False, description="Run the step inside a dataset build")
    min_score: int = Field(default=3, ge=1, le=5, description="Records scored below this are dropped")
    rubric: Path | None = Field(
        default=None, description="YAML rubric file; empty: the built-in rubric in the record's language"
    )
    llm: LLMConfig | None = Field(
        default=None, description="The judge's endpoint and model; empty: the generator's endpoint"
    )
    max_tokens: int = Field(default=96, ge=16, description="Judge answer length: a reason and a score")
    consistency_sample: int = Field(
        default=20, ge=0, description="Scored records re-scored with the fields in another order"
    )
    seed: int = Field(default=0, description="Judge sampling seed and the consistency sample's seed")
    answer_chars: int = Field(
        default=1200, ge=100, description="Each field (instruction, input, output, turn) is cut to this"
    )

    def judge_llm(self, generator: LLMConfig | None = None) -> LLMConfig:
        """The judge's LLM settings: `llm`, else the generator's, made greedy and seeded so a
        rerun asks the very same requests and replays them from the journal."""
        return self.greedy(self.llm or generator or LLMConfig())

    def greedy(self, llm: LLMConfig) -> LLMConfig:
        """`llm` with the judge's sampling: temperature 0, the seed and the answer length."""
        return llm.model_copy(
            update={"temperature": 0.0, "top_p": 1.0, "seed": self.seed, "max_tokens": self.max_tokens}
        )
