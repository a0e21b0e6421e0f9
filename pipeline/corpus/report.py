"""What a corpus build did, as report.json and report.md: the funnel (documents left after each
stage), tokens per split and language, the top drop reasons with examples, the rules that removed
spans, and document length histograms. Collected while the documents stream: counters and a few
examples per rule, never the documents themselves."""

from __future__ import annotations

import bisect
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pipeline.corpus.documents import DroppedDocument, RemovedSpan

EXAMPLES_PER_RULE = 2
EXAMPLE_CHARS = 160
TOP_RULES = 15
LENGTH_EDGES = (100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000)
_BAR_WIDTH = 40


def bucket_labels() -> list[str]:
    lows = (0, *LENGTH_EDGES)
    return [f"{lo:,}-{hi - 1:,}" for lo, hi in zip(lows, LENGTH_EDGES, strict=False)] + [
        f">={LENGTH_EDGES[-1]:,}"
    ]


@dataclass
class Histogram:
    counts: list[int] = field(default_factory=lambda: [0] * (len(LENGTH_EDGES) + 1))

    def add(self, length: int) -> None:
        self.counts[bisect.bisect_right(LENGTH_EDGES, length)] += 1

    def as_dict(self) -> dict[str, int]:
        return dict(zip(bucket_labels(), self.counts, strict=True))


@dataclass
class RuleTally:
    count: int = 0
    characters: int = 0
    examples: list[dict[str, str]] = field(default_factory=list)


@dataclass
class BuildReport:
    """Filled in by the build; `as_json` and `as_markdown` render it."""

    funnel: dict[str, int] = field(default_factory=dict)
    dropped: dict[str, RuleTally] = field(default_factory=dict)
    removed: dict[str, RuleTally] = field(default_factory=dict)
    languages_read: Counter[str] = field(default_factory=Counter)
    languages_kept: Counter[str] = field(default_factory=Counter)
    length_read: Histogram = field(default_factory=Histogram)
    length_kept: Histogram = field(default_factory=Histogram)
    splits: dict[str, dict[str, int]] = field(default_factory=dict)
    tokens_by_language: Counter[str] = field(default_factory=Counter)
    characters_by_language: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)

    def passed(self, stage: str) -> None:
        self.funnel[stage] = self.funnel.get(stage, 0) + 1

    def stage(self, stage: str) -> None:
        """Make `stage` a funnel row even when no document gets through it."""
        self.funnel.setdefault(stage, 0)

    def drop(self, dropped: DroppedDocument) -> None:
        tally = self.dropped.setdefault(dropped.rule, RuleTally())
        tally.count += 1
        if len(tally.examples) < EXAMPLES_PER_RULE:
            tally.examples.append(
                {
                    "id": dropped.id,
                    "source": dropped.source,
                    "evidence": dropped.evidence,
                    "text_head": dropped.text_head[:EXAMPLE_CHARS],
                }
            )

    def remove(self, span: RemovedSpan, characters: int) -> None:
        tally = self.removed.setdefault(span.rule, RuleTally())
        tally.count += 1
        tally.characters += characters
        if len(tally.examples) < EXAMPLES_PER_RULE:
            tally.examples.append(
                {"id": span.id, "evidence": span.evidence, "text": span.text[:EXAMPLE_CHARS]}
            )

    def kept(self, language: str, characters: int, tokens: int) -> None:
        self.languages_kept[language] += 1
        self.length_kept.add(characters)
        self.tokens_by_language[language] += tokens
        self.characters_by_language[language] += characters

    def top_reasons(self, limit: int = 3) -> list[tuple[str, int]]:
        ranked = sorted(self.dropped.items(), key=lambda item: -item[1].count)
        return [(rule, tally.count) for rule, tally in ranked[:limit]]

    def as_json(self) -> dict[str, Any]:
        per_1000 = {
            language: round(1000 * self.tokens_by_language[language] / chars, 1)
            for language, chars in self.characters_by_language.items()
            if chars
        }
        splits = {
            name: {**stats, "tokens_per_1000_chars": round(1000 * stats["tokens"] / stats["characters"], 1)}
            if stats.get("characters")
            else dict(stats)
            for name, stats in self.splits.items()
        }
        rank = sorted(self.dropped.items(), key=lambda item: -item[1].count)
        return {
            "funnel": self.funnel,
            "splits": splits,
            "languages": {"read": dict(self.languages_read), "kept": dict(self.languages_kept)},
            "tokens_per_1000_chars": per_1000,
            "dropped": {rule: {"count": t.count, "examples": t.examples} for rule, t in rank[:TOP_RULES]},
            "dropped_other_rules": sum(t.count for _, t in rank[TOP_RULES:]),
            "removed": {
                rule: {"count": t.count, "characters": t.characters, "examples": t.examples}
                for rule, t in sorted(self.removed.items(), key=lambda item: -item[1].count)
            },
            "length_histogram_chars": {
                "read": self.length_read.as_dict(),
                "kept": self.length_kept.as_dict(),
            },
            "warnings": self.warnings,
        }


def _table(header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += [
        "| " + " | ".join(str(cell).replace("|", "\\|").replace("\n", " ") for cell in row) + " |"
        for row in rows
    ]
    return lines + [""]


def _histogram_lines(title: str, histogram: dict[str, int]) -> list[str]:
    peak = max(histogram.values(), default=0) or 1
    width = max(len(label) for label in histogram)
    lines = [f"{title}:", "```"]
    for label, count in histogram.items():
        lines.append(
            f"{label:>{width}} chars | {'#' * round(_BAR_WIDTH * count / peak):<{_BAR_WIDTH}} {count}"
        )
    return lines + ["```", ""]


def render_markdown(name: str, version: int, report: dict[str, Any]) -> str:
    lines = [f"# Corpus {name} v{version}", ""]
    for warning in report["warnings"]:
        lines.append(f"> warning: {warning}")
    lines += ["", "## Funnel (documents left after each stage)", ""]
    lines += _table(("stage", "documents"), [(stage, f"{n:,}") for stage, n in report["funnel"].items()])
    lines += ["## Splits", ""]
    split_rows = [
        (
            split,
            s.get("documents", 0),
            s.get("characters", 0),
            s.get("tokens", 0),
            s.get("blocks", 0),
            s.get("tokens_per_1000_chars", "-"),
        )
        for split, s in report["splits"].items()
    ]
    lines += _table(
        ("split", "documents", "characters", "tokens", "blocks", "tokens / 1,000 chars"), split_rows
    )
    lines += ["## Languages", ""]
    kept = report["languages"]["kept"]
    lines += _table(
        ("language", "read", "kept", "tokens / 1,000 chars"),
        [
            (lang, n, kept.get(lang, 0), report["tokens_per_1000_chars"].get(lang, "-"))
            for lang, n in sorted(report["languages"]["read"].items(), key=lambda item: -item[1])
        ],
    )
    lines += ["## Top drop reasons", ""]
    drop_rows = []
    for rule, entry in report["dropped"].items():
        example = entry["examples"][0] if entry["examples"] else {}
        drop_rows.append(
            (rule, entry["count"], example.get("evidence", ""), example.get("text_head", "")[:80])
        )
    lines += _table(("rule", "documents", "evidence (example)", "text (example)"), drop_rows)
    lines += ["## Removed spans", ""]
    span_rows = [
        (rule, e["count"], e["characters"], (e["examples"][0]["text"][:80] if e["examples"] else ""))
        for rule, e in report["removed"].items()
    ]
    lines += _table(("rule", "spans", "characters", "example"), span_rows)
    lines += ["## Document length", ""]
    lines += _histogram_lines("read", report["length_histogram_chars"]["read"])
    lines += _histogram_lines("kept", report["length_histogram_chars"]["kept"])
    return "\n".join(lines)
