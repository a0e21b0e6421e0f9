"""Tokens per 1,000 characters of held-out text, before and after an extension: the measure of
how much shorter the extended tokenizer makes the domain's text (and so how much more of it
fits a context window and a training budget)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pipeline.settings import StrictModel
from pipeline.text import has_han

_BATCH = 256


class Density(StrictModel):
    before: float | None = None  # tokens per 1,000 characters, base tokenizer
    after: float | None = None  # the same, extended tokenizer
    reduction: float | None = None  # 1 - after / before: 0.3 means 30% fewer tokens
    documents: int = 0
    characters: int = 0


def _count(backend: Any, texts: list[str]) -> int:
    return sum(len(e.ids) for e in backend.encode_batch(texts, add_special_tokens=False))


def densities(texts: Iterable[str], before: Any, after: Any) -> dict[str, Density]:
    """{"zh": Han-containing documents, "all": every document}, each counted with the two
    tokenizers (`tokenizers.Tokenizer` backends)."""
    totals = {name: {"documents": 0, "characters": 0, "before": 0, "after": 0} for name in ("zh", "all")}
    batch: list[str] = []

    def flush() -> None:
        for name, chosen in (("all", batch), ("zh", [t for t in batch if has_han(t)])):
            if chosen:
                total = totals[name]
                total["documents"] += len(chosen)
                total["characters"] += sum(len(t) for t in chosen)
                total["before"] += _count(before, chosen)
                total["after"] += _count(after, chosen)
        batch.clear()

    for text in texts:
        batch.append(text)
        if len(batch) >= _BATCH:
            flush()
    flush()
    result = {}
    for name, total in totals.items():
        chars = total["characters"]
        if not chars:
            result[name] = Density()
            continue
        b, a = 1000 * total["before"] / chars, 1000 * total["after"] / chars
        result[name] = Density(
            before=round(b, 2),
            after=round(a, 2),
            reduction=round(1 - a / b, 4) if b else None,
            documents=total["documents"],
            characters=chars,
        )
    return result
