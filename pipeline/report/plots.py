"""Report figures as PNG bytes (matplotlib, Agg, a CJK font: `pipeline.report.fonts`),
embeddable in markdown as data URIs so the Prefect UI shows them without a file server."""

from __future__ import annotations

import base64
import io
from collections import Counter
from collections.abc import Iterable, Sequence

from pipeline.report.fonts import pyplot
from pipeline.text import cjk_ratio, tokenize


def _figure_png(draw) -> bytes:  # type: ignore[no-untyped-def]
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.2), dpi=90)
    try:
        draw(ax)
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        plt.close(fig)


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def leading_word(instruction: str) -> str:
    """The verb an instruction starts with; for Chinese, its first two characters."""
    if cjk_ratio(instruction) > 0.3:
        return "".join(ch for ch in instruction if ch.isalnum())[:2]
    tokens = tokenize(instruction)
    return tokens[0] if tokens else ""


def instruction_length_histogram(instructions: Sequence[str]) -> bytes:
    lengths = [len(tokenize(text)) for text in instructions]

    def draw(ax) -> None:  # type: ignore[no-untyped-def]
        ax.hist(lengths or [0], bins=20, color="#3b7dd8")
        ax.set_title("Instruction length (tokens)")
        ax.set_xlabel("tokens")
        ax.set_ylabel("records")

    return _figure_png(draw)


def _bar(counts: Iterable[tuple[str, int]], title: str, color: str) -> bytes:
    pairs = list(counts)[::-1]

    def draw(ax) -> None:  # type: ignore[no-untyped-def]
        ax.barh([name for name, _ in pairs] or ["(none)"], [n for _, n in pairs] or [0], color=color)
        ax.set_title(title)

    return _figure_png(draw)


def leading_verbs_bar(instructions: Sequence[str], top: int = 12) -> bytes:
    counts = Counter(w for w in map(leading_word, instructions) if w)
    return _bar(counts.most_common(top), "Leading words of instructions", "#5aa469")


def rejection_reasons_bar(by_reason: dict[str, int], top: int = 12) -> bytes:
    return _bar(Counter(by_reason).most_common(top), "Rejections by reason", "#d8643b")


def loss_curve(
    history: Sequence[dict[str, float]],
    validation: float | None = None,
    evals: Sequence[dict[str, float]] | None = None,
) -> bytes:
    """`evals`: the run's validation points ({step, val_loss}), drawn instead of the end line."""

    def draw(ax) -> None:  # type: ignore[no-untyped-def]
        ax.plot([h["step"] for h in history], [h["train_loss"] for h in history], label="train")
        if evals:
            ax.plot(
                [e["step"] for e in evals],
                [e["val_loss"] for e in evals],
                "o-",
                color="#d8643b",
                label="validation",
            )
        elif validation is not None and history:
            ax.axhline(validation, color="#d8643b", linestyle="--", label="validation (end)")
        ax.set_title("Training loss")
        ax.set_xlabel("optimizer step")
        ax.legend()

    return _figure_png(draw)
