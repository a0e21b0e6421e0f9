"""Every LLM-access default in one place: the `llm:` section of a run config (`pipeline.config`
composes it) and the judge endpoint of the evaluate flow.

API keys are not configured here: they come from the environment (`OPENAI_API_KEY`) only."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pipeline.settings import StrictModel


class ModelPrice(StrictModel):
    input_per_million: float = Field(ge=0, description="USD per million prompt tokens")
    output_per_million: float = Field(ge=0, description="USD per million completion tokens")


class LLMConfig(StrictModel):
    base_url: str | None = Field(
        default=None, description="OpenAI-compatible endpoint; empty starts the embedded model"
    )
    model: str = Field(
        default="smollm2-135m-instruct",
        description="Model name sent to the endpoint; unset: the endpoint's only model (asked at /models), "
        "or the embedded model",
    )
    temperature: float = Field(default=0.7, ge=0, le=2)
    top_p: float = Field(default=0.95, gt=0, le=1)
    max_tokens: int = Field(default=768, gt=0)
    seed: int | None = Field(default=0, description="Sampling seed where the server honours it")
    # concurrency and rate
    concurrency: int = Field(default=2, ge=1, description="Requests in flight at the start")
    adaptive: bool = Field(default=True, description="Adapt concurrency and rate to the server's answers")
    min_concurrency: int = Field(default=1, ge=1)
    max_concurrency: int | None = Field(
        default=None, ge=1, description="Ceiling for adaptive growth; default max(concurrency, 32)"
    )
    requests_per_minute: float | None = Field(default=None, gt=0, description="Cap for hosted APIs")
    tokens_per_minute: float | None = Field(
        default=None, gt=0, description="Cap for hosted APIs (prompt estimate + max_tokens per request)"
    )
    # failures
    timeout_s: float = Field(default=120.0, gt=0, description="Per attempt, whole answer included")
    max_attempts: int = Field(default=4, ge=1, description="Then the request is quarantined")
    backoff_base_s: float = Field(default=0.5, gt=0, description="First retry delay (doubles, jittered)")
    backoff_max_s: float = Field(default=30.0, gt=0)
    # structured output
    structured_output: Literal["auto", "llama_cpp", "openai", "text"] = Field(
        default="auto",
        description="How a JSON schema reaches the server: llama.cpp's json_object "
        "+ schema, OpenAI's json_schema, or in the prompt (text); auto: llama_cpp for the embedded "
        "model, openai otherwise",
    )
    max_reasks: int = Field(default=2, ge=0, description="Re-asks after an answer fails validation")
    # money
    prices: dict[str, ModelPrice] = Field(default_factory=dict, description="Per model name")
    budget_usd: float | None = Field(default=None, gt=0, description="Stop sending once spent (per run)")
    budget_tokens: int | None = Field(default=None, gt=0, description="Stop sending once used (per run)")
    tokenizer: str | None = Field(
        default=None,
        description="How tokens are counted where the server does not say (budget reservations, TPM caps, "
        "answers without usage): a tokenizer.json file or HF directory, tiktoken:ENCODING, or estimate; "
        "unset: the embedded model's own tokenizer, tiktoken for OpenAI model names (when its files are "
        "cached), else the CJK-aware estimate",
    )

    def named_model(self) -> str | None:
        """The model the config names (a YAML key, an option, a form field), or None when it
        only holds the default: then a configured endpoint's only model is used."""
        return self.model if "model" in self.model_fields_set else None
