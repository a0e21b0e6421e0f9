"""Token and cost accounting, and the budget cap that stops a run cleanly.

Before a request leaves, its worst case (its prompt's tokens, counted with the endpoint's
tokenizer where known, else estimated: `pipeline.llm.tokens`, + max_tokens) is reserved; the
answer's real usage (or, when the server gives none, its estimate) then replaces the
reservation, and so does what a failed attempt was billed when the server says. So a run never
spends past its cap, and the requests it did not send stay unanswered in the journal's eyes: a
later run (with more budget) sends exactly those and replays the rest."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from pipeline.errors import SeedforgeError
from pipeline.llm.config import LLMConfig, ModelPrice
from pipeline.llm.tokens import ESTIMATE, TokenCounter
from pipeline.llm.tokens import prompt_tokens as count_prompt_tokens

COST_UNKNOWN = "cost unknown"


def estimate_prompt_tokens(messages: list[dict[str, str]], counter: TokenCounter = ESTIMATE) -> int:
    """A prompt's tokens with `counter` (the CJK-aware estimate unless the tokenizer is known),
    each message's chat framing included."""
    return count_prompt_tokens(messages, counter)


def format_cost(cost_usd: float, unpriced_tokens: int = 0, *, digits: int = 4) -> str:
    """A cost for people: `$0.0123`; `cost unknown` when every token was of a model with no
    price; `$0.0123 + unpriced tokens` when only some were (never a made-up $0)."""
    if unpriced_tokens and not cost_usd:
        return f"{COST_UNKNOWN} ({unpriced_tokens:,} tokens of a model with no price in llm.prices)"
    shown = f"${cost_usd:.{digits}f}"
    return shown + (f" + {unpriced_tokens:,} unpriced tokens" if unpriced_tokens else "")


@dataclass(frozen=True)
class PriceTable:
    prices: dict[str, ModelPrice]

    def price(self, model: str) -> ModelPrice | None:
        return self.prices.get(model)

    def cost(self, model: str, prompt_tokens: int, completion_tokens: int) -> float | None:
        """USD, or None for a model with no price: its cost is unknown, not zero."""
        price = self.price(model)
        if price is None:
            return None
        return (
            prompt_tokens * price.input_per_million + completion_tokens * price.output_per_million
        ) / 1_000_000


@dataclass(frozen=True)
class Reservation:
    cost_usd: float
    tokens: int


class BudgetExhausted(Exception):
    """No more requests may leave in this run."""


class Budget:
    """A cap on new spending (USD and/or tokens) for one run; shared by its batches."""

    def __init__(self, limit_usd: float | None = None, limit_tokens: int | None = None):
        self.limit_usd = limit_usd
        self.limit_tokens = limit_tokens
        self.spent_usd = 0.0
        self.spent_tokens = 0
        self.exhausted = False
        self._reserved = Reservation(0.0, 0)
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, config: LLMConfig, model: str) -> Budget | None:
        if config.budget_usd is None and config.budget_tokens is None:
            return None
        if config.budget_usd is not None and model not in config.prices:
            raise SeedforgeError(
                f"llm.budget_usd is set but llm.prices has no price for model "
                f"{model!r}: the spend could not be counted"
            )
        return cls(config.budget_usd, config.budget_tokens)

    def reserve(self, cost_usd: float, tokens: int) -> Reservation:
        """Raises BudgetExhausted once the worst case no longer fits; from then on, always."""
        with self._lock:
            over_usd = self.limit_usd is not None and (
                self.spent_usd + self._reserved.cost_usd + cost_usd > self.limit_usd
            )
            over_tokens = self.limit_tokens is not None and (
                self.spent_tokens + self._reserved.tokens + tokens > self.limit_tokens
            )
            if self.exhausted or over_usd or over_tokens:
                self.exhausted = True
                raise BudgetExhausted()
            self._reserved = Reservation(self._reserved.cost_usd + cost_usd, self._reserved.tokens + tokens)
            return Reservation(cost_usd, tokens)

    def settle(self, reservation: Reservation, cost_usd: float, tokens: int) -> None:
        """Replace a reservation by what was really spent (0 for a failed attempt)."""
        with self._lock:
            self._reserved = Reservation(
                self._reserved.cost_usd - reservation.cost_usd, self._reserved.tokens - reservation.tokens
            )
            self.spent_usd += cost_usd
            self.spent_tokens += tokens

    def __getstate__(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if k != "_lock"}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state, _lock=threading.Lock())

    def as_dict(self) -> dict[str, float | int | bool | None]:
        return {
            "limit_usd": self.limit_usd,
            "limit_tokens": self.limit_tokens,
            "spent_usd": round(self.spent_usd, 6),
            "spent_tokens": self.spent_tokens,
            "exhausted": self.exhausted,
        }
