"""Helpers for the LLM-layer tests: a fast config and an endpoint on a fault server."""

from __future__ import annotations

from pipeline.llm.client import ChatRequest
from pipeline.llm.config import LLMConfig
from pipeline.llm.endpoint import Endpoint
from tests.support.fault_server import FaultServer

SECRET = "sk-test-SECRET-0123456789"

FAST = LLMConfig(
    base_url="http://set-by-test",
    model="m",
    max_attempts=3,
    timeout_s=1.0,
    concurrency=2,
    backoff_base_s=0.01,
    backoff_max_s=0.05,
    max_tokens=16,
)


def ask(text: str, **kw) -> ChatRequest:
    return ChatRequest(messages=[{"role": "user", "content": text}], template_version="t@1", **kw)


def endpoint_for(server: FaultServer, **kw) -> Endpoint:
    return Endpoint(base_url=server.base_url, api_key=SECRET, model="m", embedded=False, **kw)
