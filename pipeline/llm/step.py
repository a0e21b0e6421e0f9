"""The one contract for a step that asks the LLM, and the runner that carries it out.

A step says two things (the shape of Bespoke Curator's `prompt()` / `parse()`):
- `requests(items)`: the chat requests a batch of items needs, one per item, in item order;
- `parse(item, answer)`: what an answer means for its item, or a `Rejection` saying why the
  answer is unusable (a stable reason code plus evidence).

The runner does everything else, once for every step: it sends the batch through the journaled
client (`run_requests`: journal first, admission, retries, structured output and re-asks),
counts usage into one `LLMUsage`, reports progress and notices a spent budget. Steps never
loop over results, count tokens or dig JSON out of prose themselves (`answer_json` does that).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from pipeline.llm.budget import format_cost
from pipeline.llm.config import LLMConfig
from pipeline.llm.endpoint import Endpoint, run_requests
from pipeline.llm.journal_api import JournalStore
from pipeline.llm.metrics import LLMStats
from pipeline.llm.request import BUDGET_EXHAUSTED, ChatRequest, ChatResult
from pipeline.llm.structured import extract_json

ItemT = TypeVar("ItemT")
OutT = TypeVar("OutT")
ItemT_contra = TypeVar("ItemT_contra", contravariant=True)
OutT_co = TypeVar("OutT_co", covariant=True)

Progress = Callable[[int, "LLMUsage"], None]  # (requests just answered, the usage so far)


@dataclass(frozen=True)
class Rejection:
    """Why an answer could not be used: a stable code (`unparseable`, `truncated`,
    `quarantined:http_503`, …) and what shows it."""

    reason: str
    evidence: dict[str, Any] = field(default_factory=dict)


class LLMStep(Protocol[ItemT_contra, OutT_co]):
    """A step that asks the LLM. `name` labels its requests in usage and reports;
    `max_reasks` overrides the LLM config's re-asks for this step (None keeps it)."""

    name: str
    max_reasks: int | None

    def requests(self, items: Sequence[ItemT_contra]) -> list[ChatRequest]: ...

    def parse(self, item: ItemT_contra, answer: ChatResult) -> OutT_co | Rejection: ...


# the summable numbers of LLMUsage, in report order
USAGE_COUNTERS = (
    "requests",
    "requests_sent",
    "journal_hits",
    "quarantined",
    "prompt_tokens",
    "completion_tokens",
    "cost_usd",
    "unpriced_tokens",
    "usage_estimated",
    "billed_failures",
)


@dataclass
class LLMUsage:
    """What a stage's LLM steps cost, summed over every batch: the one usage type of reports."""

    requests: int = 0  # asked by the steps (re-asks not counted)
    requests_sent: int = 0  # HTTP attempts
    journal_hits: int = 0
    quarantined: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0  # of the priced models
    unpriced_tokens: int = 0  # tokens of a model with no price: their cost is unknown, not 0
    usage_estimated: int = 0  # answers the server gave no usage for: their tokens are estimated
    billed_failures: int = 0  # failed attempts the server billed (in the tokens and cost above)
    budget_exhausted: bool = False
    by_step: dict[str, int] = field(default_factory=dict)  # requests per step name

    def add_stats(self, step: str, count: int, stats: LLMStats) -> None:
        self.requests += count
        self.by_step[step] = self.by_step.get(step, 0) + count
        self.requests_sent += stats.sent
        self.journal_hits += stats.journal_hits
        self.quarantined += stats.quarantined
        self.prompt_tokens += stats.prompt_tokens
        self.completion_tokens += stats.completion_tokens
        self.cost_usd += stats.cost_usd
        self.unpriced_tokens += stats.unpriced_tokens
        self.usage_estimated += stats.usage_estimated
        self.billed_failures += stats.billed_failures
        self.budget_exhausted = self.budget_exhausted or stats.budget_exhausted

    def merge(self, other: LLMUsage) -> None:
        for name in USAGE_COUNTERS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.budget_exhausted = self.budget_exhausted or other.budget_exhausted
        for step, count in other.by_step.items():
            self.by_step[step] = self.by_step.get(step, 0) + count

    def cost_text(self) -> str:
        """`$0.0123`, or `cost unknown (...)` when a model had no price: never a made-up $0."""
        return format_cost(self.cost_usd, self.unpriced_tokens)

    def as_dict(self) -> dict[str, Any]:
        numbers: dict[str, Any] = {name: getattr(self, name) for name in USAGE_COUNTERS}
        numbers["cost_usd"] = round(self.cost_usd, 6)
        return {
            **numbers,
            "cost_known": self.unpriced_tokens == 0,
            "cost": self.cost_text(),
            "budget_exhausted": self.budget_exhausted,
            "by_step": dict(sorted(self.by_step.items())),
        }


@dataclass
class StepOutput(Generic[ItemT, OutT]):
    """One batch through one step: per item, its parsed value or its rejection (item order)."""

    parsed: list[tuple[ItemT, OutT]] = field(default_factory=list)
    rejected: list[tuple[ItemT, Rejection]] = field(default_factory=list)
    results: list[ChatResult] = field(default_factory=list)
    budget_exhausted: bool = False

    def values(self) -> list[OutT]:
        return [value for _, value in self.parsed]


def answer_text(result: ChatResult) -> tuple[str | None, bool]:
    """The text to read and whether it was salvaged: a structured answer that failed validation
    (usually cut off) is quarantined with its raw text, which still holds the complete items
    written before the cut."""
    if result.ok:
        return result.text, False
    return (result.raw_text, True) if result.raw_text else (None, False)


def was_cut(result: ChatResult) -> bool:
    return result.finish_reason == "length" or result.reason == "truncated"


def answer_json(result: ChatResult) -> Any:
    """The answer's JSON value: the validated one for structured requests, else the JSON found
    in the text (fences and prose around it allowed); None when there is none."""
    if result.parsed is not None:
        return result.parsed
    text, _ = answer_text(result)
    if not text:
        return None
    try:
        return extract_json(text)
    except ValueError:
        return None


def unanswered(result: ChatResult) -> Rejection:
    """The rejection of a request that got no usable text at all."""
    return Rejection(f"quarantined:{result.reason or 'no_answer'}", {"error": result.error})


class StepRunner:
    """Runs LLM steps for one stage run: one endpoint, one journal, one usage tally."""

    def __init__(
        self,
        endpoint: Endpoint,
        llm: LLMConfig,
        journal: JournalStore,
        *,
        usage: LLMUsage | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.llm = llm
        self.journal = journal
        self.usage = usage if usage is not None else LLMUsage()
        self.stats = LLMStats()  # the client's full numbers (retries, latencies) for reports
        self.progress = progress

    def run(self, step: LLMStep[ItemT, OutT], items: Sequence[ItemT]) -> StepOutput[ItemT, OutT]:
        output: StepOutput[ItemT, OutT] = StepOutput()
        if not items:
            return output
        requests = step.requests(items)
        if len(requests) != len(items):
            raise ValueError(f"step {step.name!r} made {len(requests)} requests for {len(items)} items")
        config = self.llm
        if step.max_reasks is not None:
            config = config.model_copy(update={"max_reasks": step.max_reasks})
        results, stats = run_requests(self.endpoint, config, self.journal, requests)
        self.usage.add_stats(step.name, len(requests), stats)
        self.stats.merge(stats)
        output.results = results
        output.budget_exhausted = stats.budget_exhausted or any(
            result.reason == BUDGET_EXHAUSTED for result in results
        )
        for item, result in zip(items, results, strict=True):
            value = step.parse(item, result)
            if isinstance(value, Rejection):
                output.rejected.append((item, value))
            else:
                output.parsed.append((item, value))
        if self.progress is not None:
            self.progress(len(requests), self.usage)
        return output
