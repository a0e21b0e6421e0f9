"""The review's Markdown: the sample table a reviewer reads (the Prefect artifact and the top
of the form), and the section build reports get: counts, the estimated defect rate of the
unreviewed rest, and suggestions from rejection reasons that recur."""

from __future__ import annotations

from typing import Any

from pipeline.curate.views import input_of, instruction_of
from pipeline.review.decisions import output_of
from pipeline.review.sampling import Sampled
from pipeline.review.stats import Suggestion

CELL_CHARS = 400


def _cell(text: str, limit: int = CELL_CHARS) -> str:
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", "").replace("\n", "<br>") or "–"


def sample_table(sample: list[Sampled]) -> str:
    """One row per sampled record: what the reviewer decides about."""
    lines = [
        "| # | id | category | risk | instruction | input | output | lineage |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for number, item in enumerate(sample, start=1):
        record, lineage = item.record, item.record.lineage
        origin = ", ".join(
            part
            for part in (
                lineage.generator,
                lineage.template_version or lineage.template,
                lineage.model,
                lineage.build and f"build {lineage.build}",
            )
            if part
        )
        lines.append(
            f"| {number} | `{record.id}` | {_cell(item.category)} | {_cell(item.risk)} | "
            f"{_cell(instruction_of(record))} | {_cell(input_of(record))} | {_cell(output_of(record))} | "
            f"{_cell(origin)} |"
        )
    return "\n".join(lines)


def sample_markdown(dataset: str, build: str, sample: list[Sampled]) -> str:
    """The review artifact: what the paused build asks about, in full."""
    return (
        f"# Review sample of {dataset}, build {build}\n\n"
        f"{len(sample)} records, per category and risk band, lowest quality score first. Decide in "
        "the paused run's form (Resume).\n\n" + sample_table(sample) + "\n"
    )


def form_description(
    dataset: str, build: str, sample: list[Sampled], artifact: str, problem: str = ""
) -> str:
    """The Markdown above the form in the UI's resume dialog: short, the dialog is narrow; the
    whole sample with its lineage is the `artifact`."""
    warning = f"**The last submission was refused, nothing was applied:** {problem}\n\n" if problem else ""
    return warning + (
        f"**Review of {dataset}, build {build}**: {len(sample)} records sampled per category and "
        "risk, lowest quality score first. For each, **accept**, **reject** with a reason, or change "
        "its output to **edit** it. *Approve the rest* accepts every record left undecided. The "
        f"sample with its lineage: artifact `{artifact}`."
    )


def review_section(review: dict[str, Any] | None, suggestions: list[Suggestion]) -> str:
    """`review` is `ReviewOutcome.summary()`; empty when there is nothing to say."""
    lines: list[str] = []
    if review and review.get("status") != "off":
        lines += ["", "## Human review", ""]
        stats = review.get("stats")
        who = f" by {review['reviewer']}" if review.get("reviewer") else ""
        lines.append(
            f"Status: **{review['status']}**{who}"
            + (f": {review['message']}" if review.get("message") else "")
        )
        if stats:
            lines += ["", "| | records |", "| --- | --- |"]
            lines += [
                f"| {name} | {stats[name]} |"
                for name in ("sampled", "accepted", "rejected", "edited", "undecided")
            ]
            lines += [f"| rejected: {reason} | {n} |" for reason, n in stats["rejected_by_reason"].items()]
            lines.append(f"| not reviewed (rest of the build) | {stats['remainder']} |")
            if stats["defect_rate"] is not None:
                low, high = stats["defect_rate_interval"]
                rest_low, rest_high = stats["remainder_defects_interval"]
                lines += [
                    "",
                    f"Defect rate (rejected or edited, of {stats['decided']} decided): "
                    f"{stats['defect_rate']:.0%}, 95% Wilson interval {low:.0%}–{high:.0%}. "
                    f"Estimated defects among the {stats['remainder']} unreviewed records: "
                    f"{rest_low:g}–{rest_high:g} (the sample prefers low-scored records: this leans high).",
                ]
    if suggestions:
        lines += ["", "## Suggestions from human review", ""]
        lines += [f"- {suggestion.text}" for suggestion in suggestions]
        lines += ["", "Nothing here is applied by itself: change the config if you agree."]
    return "\n".join(lines) + ("\n" if lines else "")
