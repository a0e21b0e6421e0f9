"""What each attempt spends, counted once for the client: tokens (the server's usage, or an
estimate flagged as such when it gives none), cost (None for a model with no price: unknown,
never a made-up $0), what a failed attempt was billed, and the worst case a request reserves
before it leaves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipeline.llm.budget import PriceTable
from pipeline.llm.config import LLMConfig
from pipeline.llm.metrics import LLMStats
from pipeline.llm.tokens import LazyCounter
from pipeline.llm.wire import Completion, Usage


@dataclass(frozen=True)
class Spend:
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float | None  # None: the model has no price
    estimated: bool = False  # the server gave no usage: the tokens are counted here

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def cost_or_zero(self) -> float:
        """For sums and the budget (a USD budget needs the model's price, so it never sees None)."""
        return self.cost_usd or 0.0


class Accounting:
    def __init__(self, config: LLMConfig, stats: LLMStats, *, reserve: bool):
        self.model = config.model
        self.max_tokens = config.max_tokens
        self.prices = PriceTable(config.prices)
        self.counter = LazyCounter(config.model, config.tokenizer)
        self.stats = stats
        # a budget or a tokens-per-minute cap needs each request's worst case before it leaves;
        # without them nothing is counted ahead (loading a tokenizer can take seconds)
        self.reserve = reserve

    def reservation(self, messages: list[dict[str, Any]]) -> tuple[float, int]:
        """(USD, tokens) the request may spend at most: its prompt plus max_tokens."""
        if not self.reserve:
            return 0.0, 0
        prompt = self.counter.prompt(messages)
        cost = self.prices.cost(self.model, prompt, self.max_tokens)
        return cost or 0.0, prompt + self.max_tokens

    def answered(self, messages: list[dict[str, Any]], completion: Completion) -> Spend:
        """An answer's spend, counted into the stats."""
        usage = completion.usage
        estimated = usage is None
        if usage is None:
            usage = Usage(self.counter.prompt(messages), self.counter.count(completion.text))
            self.stats.usage_estimated += 1
        return self._count(usage, estimated)

    def billed(self, usage: Usage | None) -> Spend | None:
        """A failed attempt's spend when the server says it billed one, counted into the stats."""
        if usage is None:
            return None
        self.stats.billed_failures += 1
        return self._count(usage, estimated=False)

    def _count(self, usage: Usage, estimated: bool) -> Spend:
        cost = self.prices.cost(self.model, usage.prompt_tokens, usage.completion_tokens)
        self.stats.prompt_tokens += usage.prompt_tokens
        self.stats.completion_tokens += usage.completion_tokens
        if cost is None:
            self.stats.unpriced_tokens += usage.total
        else:
            self.stats.cost_usd += cost
        return Spend(usage.prompt_tokens, usage.completion_tokens, cost, estimated)
