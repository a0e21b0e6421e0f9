"""Which OpenAI-compatible endpoint a run talks to: the configured one, or the embedded model."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pipeline.config import LLMConfig, settings
from pipeline.llm.client import ChatRequest, ChatResult, LLMClient, LLMStats
from pipeline.llm.embedded import EMBEDDED_MODEL_NAME, EmbeddedServer
from pipeline.llm.journal import Journal


@dataclass(frozen=True)
class Endpoint:
    base_url: str
    api_key: str
    model: str
    embedded: bool

    def __repr__(self) -> str:  # never show the key
        return f"Endpoint(base_url={self.base_url!r}, model={self.model!r}, embedded={self.embedded})"


@contextmanager
def open_endpoint(config: LLMConfig, *, log_path: Path | None = None) -> Iterator[Endpoint]:
    """Yield the endpoint; when none is configured, run the embedded server for the duration."""
    env = settings()
    base_url = config.base_url or env.openai_base_url
    api_key = env.openai_api_key.get_secret_value() if env.openai_api_key else "not-needed"
    if base_url:
        yield Endpoint(base_url=base_url, api_key=api_key, model=config.model, embedded=False)
        return
    with EmbeddedServer(log_path=log_path) as server:
        yield Endpoint(
            base_url=server.base_url, api_key="not-needed", model=EMBEDDED_MODEL_NAME, embedded=True
        )


def run_requests(
    endpoint: Endpoint, config: LLMConfig, journal: Journal, requests: list[ChatRequest]
) -> tuple[list[ChatResult], LLMStats]:
    """Answer a batch (journal first), in one event loop with its own client."""

    config = config.model_copy(update={"model": endpoint.model})

    async def _run() -> tuple[list[ChatResult], LLMStats]:
        client = LLMClient(config, endpoint.base_url, endpoint.api_key, journal)
        try:
            return await client.complete_all(requests), client.stats
        finally:
            await client.aclose()

    return asyncio.run(_run())
