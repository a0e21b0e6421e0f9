"""The knowledge-base run's report: what was ingested, the dialogues built, the dataset
version, and the coverage — as Markdown for the flow's artifact."""

from __future__ import annotations

from pathlib import Path

from pipeline.dataset.versions import MIN_RECORDS_FOR_VERSION
from pipeline.generate.dialogues.curation import DialogueCuration
from pipeline.generate.dialogues.result import DialogueBuild


def curation_line(curation: DialogueCuration) -> str:
    """Which curation steps ran, and the PII they replaced."""
    steps = ", ".join(curation.steps) or "none"
    found = ", ".join(f"{kind} {count}" for kind, count in sorted(curation.pii_found.items()))
    redacted = f"; PII redacted in {curation.records_redacted} dialogue(s) ({found})" if found else ""
    return f"Curation steps: {steps}{redacted}."


def kb_report_markdown(
    kb: str, ingest_totals: dict[str, int], build: DialogueBuild, dataset: Path | None
) -> str:
    """`dataset`: the version folder written for this run, None when there are too few
    dialogues for one."""
    run = build.run
    attempted, kept = (run.candidates, len(run.kept)) if run else (0, 0)
    rate = run.grounded_rate if run else None
    rejected = dict(run.rejected_by_reason()) if run else {}
    lines = [
        f"# Knowledge base `{kb}`",
        "",
        f"Ingest: {ingest_totals['new']} new, {ingest_totals['changed']} changed,"
        f" {ingest_totals['unchanged']} unchanged, {ingest_totals['removed']} removed.",
        "",
        f"Dialogues ({build.settings.turns} turn(s)): {build.pending} pending entries,"
        f" {attempted} attempted, {kept} grounded"
        + (f" (grounded rate {rate:.0%})" if rate is not None else "")
        + ".",
        f"Rejected: {rejected or 'none'}.",
        curation_line(run.curation) if run else "",
        "",
        f"Dataset version: `{dataset}`."
        if dataset
        else f"Fewer than {MIN_RECORDS_FOR_VERSION} dialogues so far: no dataset version yet.",
        "",
        "```",
        build.coverage_text,
        "```",
    ]
    return "\n".join(lines) + "\n"
