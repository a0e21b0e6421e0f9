"""What a configured endpoint serves: asked once, at `GET /models`, when a run opens it.

Two answers come from that one request: which model to use when none was named (the only one
served; several or none is an error that says what to do), and whether the server is llama.cpp
(whose servers reject OpenAI's `json_schema` response format, so schemas go as json_object +
schema). When a model was named, a listing refused with an HTTP status, or too slow, is no
error: some gateways serve models they do not list, and the first request will say whether
the name is right. A server where nothing answers at all is an error either way: sent
requests would only be quarantined one by one.

A build checks its endpoints before it claims a build number and opens them a moment later:
the listing the check got is handed to that opening (once, within a minute) instead of being
asked for again. Probes of an endpoint taken out always ask."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import httpx
import openai

from pipeline.errors import EndpointError, SeedforgeError
from pipeline.llm.failures import redact

log = logging.getLogger("pipeline.llm")

LLAMA_CPP_OWNERS = {"me", "llamacpp"}  # what llama-cpp-python's and llama.cpp's servers answer
LISTING_TIMEOUT_S = 10.0


class Unreachable(EndpointError):
    """Nothing answered at the endpoint's address (refused, no route, no such host)."""


@dataclass(frozen=True)
class ServedModel:
    id: str
    owned_by: str | None


@dataclass(frozen=True)
class EndpointModel:
    model: str
    llama_cpp: bool
    discovered: bool  # the model was not named: it is the only one the endpoint serves


HANDOVER_S = 60.0  # a listing older than this is asked for again
_handed_over: dict[tuple[str, str], tuple[float, list[ServedModel]]] = {}
_keeping = ContextVar("keeping_listings", default=False)


@contextmanager
def listings_handed_over() -> Iterator[None]:
    """Listings fetched inside this block are kept for the next `served_models` call on the same
    endpoint and key (in this process, within HANDOVER_S): the check before a build hands its
    answer to the build's opening of the endpoint."""
    token = _keeping.set(True)
    try:
        yield
    finally:
        _keeping.reset(token)


def _listing_key(base_url: str, api_key: str) -> tuple[str, str]:
    return base_url.rstrip("/"), hashlib.sha256(api_key.encode()).hexdigest()


def served_models(base_url: str, api_key: str, *, timeout_s: float = LISTING_TIMEOUT_S) -> list[ServedModel]:
    """The endpoint's `/models` list; EndpointError naming the URL when it cannot be had."""
    key = _listing_key(base_url, api_key)
    handed = _handed_over.pop(key, None)
    if handed is not None and time.monotonic() - handed[0] < HANDOVER_S:
        return handed[1]
    served = _list_models(base_url, api_key, timeout_s)
    if _keeping.get():
        _handed_over[key] = (time.monotonic(), served)
    return served


def _list_models(base_url: str, api_key: str, timeout_s: float) -> list[ServedModel]:
    where = f"{base_url.rstrip('/')}/models"
    try:
        with openai.OpenAI(base_url=base_url, api_key=api_key, timeout=timeout_s, max_retries=0) as client:
            return [ServedModel(m.id, getattr(m, "owned_by", None)) for m in client.models.list()]
    except openai.AuthenticationError as exc:
        raise EndpointError(
            f"{where} refused the API key (HTTP {exc.status_code}): set OPENAI_API_KEY"
        ) from None
    except openai.APIStatusError as exc:
        raise EndpointError(
            f"{where} answered HTTP {exc.status_code}: is the URL the API's root (often ending in /v1)?"
        ) from None
    except openai.APITimeoutError as exc:
        if isinstance(exc.__cause__, httpx.ConnectTimeout):  # a black-holed address: no connection at all
            raise Unreachable(f"nothing answers at {where} (no connection within {timeout_s:g} s)") from None
        raise EndpointError(f"{where} did not answer within {timeout_s:g} s") from None
    except openai.APIConnectionError as exc:
        reason = redact(str(exc.__cause__ or exc), (api_key,))
        raise Unreachable(f"nothing answers at {where} ({reason}): is the server running?") from None
    except openai.APIResponseValidationError:
        raise EndpointError(f"{where} answered something that is no model list") from None


def resolve_model(base_url: str, api_key: str, model: str | None) -> EndpointModel:
    """The model a run sends to `base_url`, and whether the server is llama.cpp.

    `model` None: the endpoint's only model (said on the log), else an error: several models are
    listed for the user to choose with --model (exit 2), none or no answer names the URL (exit 3).
    `model` given: nothing answering is still an error (exit 3); any other failure of the
    listing just means "not llama.cpp"."""
    if model is not None:
        try:
            served = served_models(base_url, api_key, timeout_s=5.0)
        except Unreachable:
            raise
        except EndpointError:
            return EndpointModel(model, llama_cpp=False, discovered=False)
        return EndpointModel(model, _llama_cpp(served), discovered=False)
    served = served_models(base_url, api_key)
    if not served:
        raise EndpointError(f"{base_url} serves no model: name one with --model (or llm.model)")
    if len(served) > 1:
        names = ", ".join(sorted(m.id for m in served))
        raise SeedforgeError(
            f"{base_url} serves {len(served)} models ({names}): choose one with --model (or llm.model)"
        )
    chosen = served[0].id
    log.info("using model %r, the only model served at %s", chosen, base_url)
    return EndpointModel(chosen, _llama_cpp(served), discovered=True)


def _llama_cpp(served: list[ServedModel]) -> bool:
    return any(m.owned_by in LLAMA_CPP_OWNERS for m in served)
