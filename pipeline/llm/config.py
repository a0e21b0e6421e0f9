"""Every LLM-access default in one place: the `llm:` section of a run config (`pipeline.config`
composes it) and the judge endpoint of the evaluate flow.

API keys are not configured here: they come from the environment only (`OPENAI_API_KEY`, or the
variable an `llm.endpoints` entry names in `api_key_env`)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from pipeline.settings import StrictModel

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ModelPrice(StrictModel):
    input_per_million: float = Field(ge=0, description="USD per million prompt tokens")
    output_per_million: float = Field(ge=0, description="USD per million completion tokens")
    batch_discount: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="Share of these prices a Batch API request costs (llm.mode: batch)",
    )


def _api_url(value: str) -> str:
    # "127.0.0.1:8000/v1" is bad input (exit 2), not an endpoint that failed to answer (exit 3)
    if not value.startswith(("http://", "https://")):
        raise ValueError(f"{value!r} is not a URL: it starts with http:// or https://")
    return value


ApiUrl = Annotated[str, AfterValidator(_api_url)]


class EndpointConfig(StrictModel):
    """One entry of `llm.endpoints`: a server (replica) requests may go to."""

    base_url: ApiUrl = Field(description="OpenAI-compatible API root")
    model: str | None = Field(
        default=None,
        description="Model name sent to this endpoint; unset: llm.model when named, else its only model",
    )
    weight: float = Field(default=1.0, gt=0, description="Share of the traffic relative to the others")
    api_key_env: str | None = Field(
        default=None,
        description="Name of the environment variable holding this endpoint's key (never the key "
        "itself); unset: OPENAI_API_KEY",
    )

    @field_validator("api_key_env")
    @classmethod
    def _a_variable_name(cls, value: str | None) -> str | None:
        # the message never repeats the value: a key pasted here by mistake stays out of logs
        if value is not None and not _ENV_NAME.fullmatch(value):
            raise ValueError(
                "api_key_env names an environment variable (letters, digits and _), not the key itself"
            )
        return value


class LLMConfig(StrictModel):
    base_url: ApiUrl | None = Field(
        default=None, description="OpenAI-compatible endpoint; empty starts the embedded model"
    )
    endpoints: list[EndpointConfig] | None = Field(
        default=None,
        min_length=1,
        description="Several endpoints (replicas) instead of base_url: each request goes to the one "
        "with the most headroom; one that fails is taken out and probed back in",
    )
    replicas: int = Field(
        default=1, ge=1, le=16, description="Embedded servers (one thread each) when no endpoint is set"
    )
    probe_after_s: float = Field(
        default=2.0,
        gt=0,
        description="An endpoint taken out is probed (GET /models) after this long, then twice as "
        "long after each failed probe (up to 60 s)",
    )
    mode: Literal["online", "batch"] = Field(
        default="online",
        description="online: one HTTP request per chat request; batch: the OpenAI Batch API (/v1/files + "
        "/v1/batches, one batch per stage round, at the batch price): docs/batch-api.md",
    )
    batch_poll_s: float = Field(default=30.0, gt=0, description="Seconds between polls of a batch in flight")
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

    @model_validator(mode="after")
    def _one_way_to_name_endpoints(self) -> LLMConfig:
        if self.base_url is not None and self.endpoints is not None:
            raise ValueError(
                "llm.base_url and llm.endpoints are both set: keep one (base_url is the same as "
                "a one-entry endpoints list)"
            )
        urls = [e.base_url.rstrip("/") for e in self.endpoints or []]
        repeated = sorted({url for url in urls if urls.count(url) > 1})
        if repeated:
            raise ValueError(f"llm.endpoints lists {', '.join(repeated)} more than once")
        if self.mode == "batch" and (len(urls) > 1 or self.replicas > 1):
            raise ValueError(
                "llm.mode: batch sends every request to one endpoint; llm.endpoints or llm.replicas "
                "asks for several (keep one, or set llm.mode: online)"
            )
        return self

    def endpoint_list(self, default_url: str | None = None) -> list[EndpointConfig]:
        """The configured endpoints: `endpoints`, else `base_url` (or `default_url`, the
        environment's OPENAI_BASE_URL) as a one-entry list; empty: the embedded model."""
        if self.endpoints:
            return list(self.endpoints)
        url = self.base_url or default_url
        return [EndpointConfig.model_construct(base_url=url)] if url else []

    def named_model(self) -> str | None:
        """The model the config names (a YAML key, an option, a form field), or None when it
        only holds the default: then a configured endpoint's only model is used."""
        return self.model if "model" in self.model_fields_set else None
