"""Which OpenAI-compatible endpoint a run talks to (the configured one or several, or the
embedded model, one server or `llm.replicas` of them), and `run_requests`, the one call
generators make.

An `Endpoint` lives for a run and carries what the run learns and spends across its batches:
the adaptive controls' state, the budget, and the run's LLM totals for reports."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretStr

from pipeline.errors import SeedforgeError
from pipeline.llm.batch_api import BatchClient
from pipeline.llm.batch_jobs import require_batch_api
from pipeline.llm.budget import Budget
from pipeline.llm.client import ChatRequest, ChatResult, LLMClient, LLMStats
from pipeline.llm.config import LLMConfig
from pipeline.llm.control import ControlState
from pipeline.llm.discovery import listings_handed_over, resolve_model
from pipeline.llm.embedded import EMBEDDED_MODEL_NAME, EmbeddedServer, start_servers
from pipeline.llm.journal_api import JournalStore
from pipeline.llm.replicas import Replica, endpoint_key, open_replicas
from pipeline.llm.router import ReplicaState, Router, replica_states
from pipeline.llm.structured import resolve_mode
from pipeline.llm.tokens import counter_for
from pipeline.settings import settings


@dataclass
class RunState:
    """Mutable, shared by a run's batches (which may run in Prefect's worker threads)."""

    control: ControlState | None = None
    control_settings: tuple[object, ...] | None = None  # the settings `control` was built from
    budget: Budget | None = None
    budget_ready: bool = False
    totals: LLMStats = field(default_factory=LLMStats)
    replicas: list[ReplicaState] | None = None  # several endpoints: each one's controls and health
    batch_api_checked: bool = False  # llm.mode: batch: GET /batches answered, once for the run
    lock: threading.Lock = field(default_factory=threading.Lock)

    # picklable for process-based task runners (each process then learns and counts on its own)
    def __getstate__(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if k != "lock"}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state, lock=threading.Lock())


@dataclass(frozen=True)
class Endpoint:
    base_url: str
    api_key: SecretStr | str  # kept as a SecretStr: repr, logs and serialised copies show stars
    model: str
    embedded: bool
    run: RunState = field(default_factory=RunState, compare=False, repr=False)
    llama_cpp: bool = False  # a llama.cpp server: schemas go as json_object + schema
    # several endpoints (`llm.endpoints`, `llm.replicas`): requests are routed among these, and
    # base_url/api_key are the first one's; `model` is the run's name (the journal key's)
    replicas: tuple[Replica, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.api_key, SecretStr):
            object.__setattr__(self, "api_key", SecretStr(self.api_key))

    def secret(self) -> str:
        assert isinstance(self.api_key, SecretStr)
        return self.api_key.get_secret_value()

    def __repr__(self) -> str:  # never show the key
        urls = [r.base_url for r in self.replicas] or [self.base_url]
        return f"Endpoint(base_url={', '.join(urls)!r}, model={self.model!r}, embedded={self.embedded})"

    def totals(self) -> LLMStats:
        """Everything this endpoint's run has done so far (all batches)."""
        return self.run.totals


@contextmanager
def open_endpoint(config: LLMConfig, *, log_path: Path | None = None) -> Iterator[Endpoint]:
    """Yield the endpoint; when none is configured, run the embedded server(s) for the duration.

    A configured endpoint is asked what it serves (`pipeline.llm.discovery`): without a named
    model (`llm.model` / `--model`), its only model is used; several, none, or no answer stop
    the run here, before any request, with an error naming the URL. Several endpoints are each
    asked (`pipeline.llm.replicas`): the run stops only when none answers. A tokenizer named in
    `llm.tokenizer` that cannot be loaded stops it here too, and so does, in batch mode, an
    endpoint without the Batch API (or the embedded server, which has none)."""
    env = settings()
    entries = config.endpoint_list(env.openai_base_url)
    if config.mode == "batch" and not entries:
        raise SeedforgeError(
            "llm.mode: batch needs an endpoint that offers the Batch API (llm.base_url); "
            "the embedded server offers none",
            path="llm.mode",
        )
    if config.tokenizer:
        counter_for(config.named_model() or EMBEDDED_MODEL_NAME, config.tokenizer)
    api_key = env.openai_api_key.get_secret_value() if env.openai_api_key else "not-needed"
    auto = config.structured_output == "auto"
    if len(entries) > 1:
        model, replicas = open_replicas(config, entries, api_key)
        first = replicas[0]
        yield Endpoint(
            first.base_url,
            first.api_key,
            model,
            embedded=False,
            llama_cpp=auto and all(r.llama_cpp for r in replicas if r.ready),
            replicas=tuple(replicas),
        )
        return
    if entries:
        entry = entries[0]
        key = endpoint_key(entry, api_key)
        served = resolve_model(entry.base_url, key, entry.model or config.named_model())
        endpoint = Endpoint(
            base_url=entry.base_url,
            api_key=key,
            model=served.model,
            embedded=False,
            llama_cpp=served.llama_cpp and auto,
        )
        if config.mode == "batch":
            _check_batch_api(endpoint)
        yield endpoint
        return
    if config.replicas > 1:
        with ExitStack() as stack:
            servers = start_servers(config.replicas, log_path, stack)
            embedded = tuple(
                Replica(s.base_url, SecretStr("not-needed"), EMBEDDED_MODEL_NAME) for s in servers
            )
            yield Endpoint(
                servers[0].base_url, "not-needed", EMBEDDED_MODEL_NAME, embedded=True, replicas=embedded
            )
        return
    with EmbeddedServer(log_path=log_path) as server:
        yield Endpoint(
            base_url=server.base_url, api_key="not-needed", model=EMBEDDED_MODEL_NAME, embedded=True
        )


def _check_batch_api(endpoint: Endpoint) -> None:
    """Once a run: when its endpoint is opened, or on its first batch if it was made by hand."""
    if not endpoint.run.batch_api_checked:
        require_batch_api(endpoint.base_url, endpoint.secret())
        endpoint.run.batch_api_checked = True


def check_endpoint(config: LLMConfig) -> None:
    """Ask a configured endpoint what `open_endpoint` asks it (its model, its Batch API in batch
    mode) and raise what it would raise: for a run that must fail before it writes anything.
    Its model listing is handed to the run's own `open_endpoint` (see `pipeline.llm.discovery`).
    The embedded server is not started for this; batch mode without an endpoint is refused."""
    if config.mode == "batch" or config.endpoint_list(settings().openai_base_url):
        with listings_handed_over(), open_endpoint(config):
            pass


def _prepare(
    endpoint: Endpoint, config: LLMConfig, budget: Budget | None
) -> tuple[ControlState, Budget | None]:
    run = endpoint.run
    settings_now = (
        config.concurrency,
        config.min_concurrency,
        config.max_concurrency,
        config.adaptive,
        config.requests_per_minute,
        config.tokens_per_minute,
    )
    with run.lock:
        if run.control is None or run.control_settings != settings_now:  # learned state is kept
            run.control = ControlState(config, time.monotonic())  # unless the settings change
            run.control_settings = settings_now
            run.replicas = None
        if endpoint.replicas and run.replicas is None:
            run.replicas = replica_states(config, endpoint.replicas, time.monotonic())
        if not run.budget_ready:
            run.budget = Budget.from_config(config, config.model)
            run.budget_ready = True
        return run.control, budget if budget is not None else run.budget


def run_requests(
    endpoint: Endpoint,
    config: LLMConfig,
    journal: JournalStore,
    requests: list[ChatRequest],
    *,
    budget: Budget | None = None,
) -> tuple[list[ChatResult], LLMStats]:
    """Answer a batch (journal first), in one event loop with its own client.

    Every result is answered, quarantined (with `reason`), or — once the run's budget is
    spent — deferred (`reason == "budget_exhausted"`, nothing sent; `stats.budget_exhausted`).
    Raises LLMEndpointError when the endpoint refuses every request (bad key, unknown model).
    """
    config = config.model_copy(update={"model": endpoint.model})
    if config.mode == "batch":
        _check_batch_api(endpoint)
    control, budget = _prepare(endpoint, config, budget)
    mode = resolve_mode(config.structured_output, endpoint.embedded or endpoint.llama_cpp)

    async def _run() -> tuple[list[ChatResult], LLMStats]:
        router = None
        if endpoint.replicas:
            assert endpoint.run.replicas is not None
            router = Router(endpoint.replicas, endpoint.run.replicas, config, budget)
        # llm.mode: batch: the same client over the Batch API (one batch per call, retries in more)
        try:
            client = (BatchClient if config.mode == "batch" else LLMClient)(
                config,
                endpoint.base_url,
                endpoint.secret(),
                journal,
                control=control,
                budget=budget,
                structured_mode=mode,
                router=router,
            )
        except BaseException:
            if router is not None:
                await router.aclose()  # its home and listeners are the run's, not this call's
            raise
        if router is not None:
            router.timeline = client.stats.timeline
        try:
            return await client.complete_all(requests), client.stats
        finally:
            await client.aclose()

    results, stats = asyncio.run(_run())
    with endpoint.run.lock:
        endpoint.run.totals.merge(stats)
    return results, stats
