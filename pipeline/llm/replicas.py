"""Several endpoints (`llm.endpoints`) checked once when a run opens them: each one's key (from
the variable it names), the model it is sent, whether it is llama.cpp, and whether it answers.

Every endpoint is asked `GET /models` before any request. One that does not answer starts out
of service (the router probes it back in); when none answers, the run stops here with an error
that lists each endpoint and why, before anything is sent or written.

The journal key holds one model name for the whole run, whichever endpoint answers: `llm.model`
when named, else the first listed endpoint's `model`, else the model the first answering
endpoint serves. Endpoints sent other names share that key, so they should serve the same
weights (replicas), or an answer of one is replayed for the others."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from pydantic import SecretStr

from pipeline.errors import EndpointError, SeedforgeError
from pipeline.llm.config import EndpointConfig, LLMConfig
from pipeline.llm.discovery import LLAMA_CPP_OWNERS, ServedModel, served_models

log = logging.getLogger("pipeline.llm")

CHECK_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Replica:
    base_url: str
    api_key: SecretStr
    model: str  # the name sent to this endpoint
    weight: float = 1.0
    llama_cpp: bool = False
    ready: bool = True  # answered when the run opened it; False: starts out, probed back in

    def secret(self) -> str:
        return self.api_key.get_secret_value()


def endpoint_key(entry: EndpointConfig, default_key: str) -> str:
    """The key from the variable the entry names; SeedforgeError when it is not set."""
    if entry.api_key_env is None:
        return default_key
    value = os.environ.get(entry.api_key_env)
    if not value:
        raise SeedforgeError(
            f"llm.endpoints: {entry.base_url} takes its key from ${entry.api_key_env}, which is not set"
        )
    return value


def _only_model(url: str, served: list[ServedModel]) -> str:
    if len(served) != 1:
        names = ", ".join(sorted(m.id for m in served)) or "none"
        raise SeedforgeError(f"serves {len(served)} models ({names}): set its model or llm.model")
    return served[0].id


@dataclass(frozen=True)
class _Checked:
    entry: EndpointConfig
    key: str
    model: str | None
    llama_cpp: bool
    problem: str | None


def _check(entry: EndpointConfig, key: str, named: str | None) -> _Checked:
    try:
        served = served_models(entry.base_url, key, timeout_s=CHECK_TIMEOUT_S)
        model = named or _only_model(entry.base_url, served)
    except SeedforgeError as exc:
        return _Checked(entry, key, named, False, str(exc))
    return _Checked(entry, key, model, any(m.owned_by in LLAMA_CPP_OWNERS for m in served), None)


def open_replicas(
    config: LLMConfig, entries: list[EndpointConfig], default_key: str
) -> tuple[str, list[Replica]]:
    """The run's model name (the journal key's) and the endpoints, each asked `/models` once.

    Raises SeedforgeError for a key variable that is not set, EndpointError when no endpoint
    answers (each listed with its reason)."""
    keys = [endpoint_key(entry, default_key) for entry in entries]  # config errors first
    checked = [
        _check(entry, key, entry.model or config.named_model())
        for entry, key in zip(entries, keys, strict=True)
    ]
    answering = [c for c in checked if c.problem is None]
    if not answering:
        reasons = "\n".join(f"  - {c.entry.base_url}: {c.problem}" for c in checked)
        raise EndpointError(f"no endpoint of llm.endpoints answers (nothing was sent):\n{reasons}")
    run_model = config.named_model() or entries[0].model or answering[0].model
    assert run_model is not None
    replicas = []
    for c in checked:
        if c.problem is not None:
            log.warning(
                "endpoint %s is out from the start (probed again later): %s", c.entry.base_url, c.problem
            )
        replicas.append(
            Replica(
                base_url=c.entry.base_url,
                api_key=SecretStr(c.key),
                model=c.model or run_model,
                weight=c.entry.weight,
                llama_cpp=c.llama_cpp,
                ready=c.problem is None,
            )
        )
    return run_model, replicas
