"""What a self-instruct run did, as a JSON-ready dict and as a table for the terminal:
requests per step, parse failures, the instruction and record funnels with rejections by
reason, acceptance rate and time per accepted record."""

from __future__ import annotations

from collections import Counter
from typing import Any

from pipeline.curate.structure.measure import quality_estimate
from pipeline.dataset.categories import category_counts, category_source_counts
from pipeline.generate.self_instruct.loop import SelfInstructResult
from pipeline.llm.budget import format_cost
from pipeline.llm.embedded import EMBEDDED_MODEL_NAME
from pipeline.llm.step import USAGE_COUNTERS, LLMUsage

# the LLM numbers of the report and the build stats: the usage counters but the request count
LLM_COUNTERS = USAGE_COUNTERS[1:]


def llm_numbers(usage: LLMUsage) -> dict[str, int | float]:
    numbers: dict[str, int | float] = {name: getattr(usage, name) for name in LLM_COUNTERS}
    # an integer 0 when nothing was paid, as the report always showed it
    numbers["cost_usd"] = round(usage.cost_usd, 6) or 0
    return numbers


def _quality(result: SelfInstructResult) -> dict[str, Any] | None:
    """The structural checks' share of this run and what it says about the kept set's precision."""
    steps = Counter(r.step for r in result.rejected)
    seen = result.candidates - steps["filters"] - steps["output_checks"]
    embedded = result.model == EMBEDDED_MODEL_NAME
    return quality_estimate(result.language, seen, steps["structure"], embedded_generator=embedded)


def generation_stats(result: SelfInstructResult) -> dict[str, Any]:
    """The generate part of a dataset build's stats (manifest, build report, flow summary)."""
    return {
        "seeds": result.seeds,
        "requests": result.requests,
        "batches": result.batches,
        "candidates": result.candidates,
        "kept": len(result.kept),
        "accepted_over_target": result.counts["accepted_over_target"],  # accepted, not published
        "rejected": len(result.rejected),
        "rejected_tasks": sum(r.step.startswith("instruction_") for r in result.rejected),
        "quality": _quality(result),
        "quality_scores": (
            {**result.quality_scores.as_dict(), "markdown": result.quality_scores.markdown()}
            if result.quality_scores
            else None
        ),
        "rejected_by_reason": dict(result.rejected_by_reason().most_common()),
        "categories": category_counts(result.kept),  # of the records this build accepted
        "category_sources": category_source_counts(result.kept),
        "stop_reason": result.stop_reason,
        "pool_from_earlier_builds": result.counts["pool_from_earlier_builds"],
        "failures": dict(result.failures),
        "llm": llm_numbers(result.usage),
    }


def _prefixed(counts: Counter[str], prefix: str) -> dict[str, int]:
    return {key[len(prefix) :]: value for key, value in sorted(counts.items()) if key.startswith(prefix)}


def generation_report(
    result: SelfInstructResult,
    *,
    target: int,
    language: str,
    seeds: str,
    n_seeds: int,
    model: str,
    templates: str,
) -> dict[str, Any]:
    instruction_rejects = Counter(r.reason for r in result.rejected if r.step.startswith("instruction_"))
    record_rejects = Counter(r.reason for r in result.rejected if not r.step.startswith("instruction_"))
    accepted = len(result.kept)
    considered = accepted + sum(record_rejects.values()) + result.counts["accepted_over_target"]
    return {
        "target": target,
        "accepted": accepted,
        "stop_reason": result.stop_reason,
        "language": language,
        "seeds": {"file": seeds, "tasks": n_seeds},
        "model": model,
        "templates": templates,
        "batches": result.batches,
        "fell_back_to_text": bool(result.counts["fallback_to_text"]),
        "requests": {"total": result.requests, **dict(sorted(result.usage.by_step.items()))},
        "parse_failures": dict(sorted(result.failures.items())),
        "instructions": {
            "proposed": result.counts["instructions_proposed"],
            "admitted": result.counts["instructions_admitted"],
            "classification": result.counts["classification_tasks"],
            "over_batch_limit": result.counts["instructions_over_limit"],
            "rejected_by_reason": dict(instruction_rejects.most_common()),
        },
        "records": {
            "candidates": result.candidates,
            "instances_dropped_by_reason": _prefixed(result.counts, "instances_dropped:"),
            "accepted": accepted,
            "accepted_over_target": result.counts["accepted_over_target"],
            "rejected_by_reason": dict(record_rejects.most_common()),
        },
        "categories": {
            "accepted": category_counts(result.kept),
            "sources": category_source_counts(result.kept),
            "tasks_asked": result.counts["categories_asked"],  # one categorisation request each
            "tasks_from_seeds": result.counts["categories_from_seeds"],
        },
        "acceptance_rate": round((accepted + result.counts["accepted_over_target"]) / considered, 4)
        if considered
        else None,  # of the records curation saw
        "instruction_acceptance_rate": round(
            result.counts["instructions_admitted"] / result.counts["instructions_proposed"], 4
        )
        if result.counts["instructions_proposed"]
        else None,  # of the tasks the model proposed
        "seconds": round(result.seconds, 1),
        "seconds_per_accepted": round(result.seconds / accepted, 2) if accepted else None,
        "llm": llm_numbers(result.usage),
    }


def print_report(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"self-instruct: {report['accepted']} of {report['target']} accepted ({report['stop_reason']})",
        show_header=False,
    )
    table.add_column("what", style="bold")
    table.add_column("value")
    rate = report["acceptance_rate"]
    rows = [
        ("requests", ", ".join(f"{k} {v}" for k, v in report["requests"].items())),
        ("parse failures", ", ".join(f"{k} {v}" for k, v in report["parse_failures"].items()) or "none"),
        (
            "instructions",
            f"{report['instructions']['proposed']} proposed, "
            f"{report['instructions']['admitted']} admitted "
            f"({report['instructions']['classification']} classification)",
        ),
        ("instructions rejected", _reasons(report["instructions"]["rejected_by_reason"])),
        ("records", f"{report['records']['candidates']} candidates, {report['accepted']} accepted"),
        ("records rejected", _reasons(report["records"]["rejected_by_reason"])),
        ("categories", _reasons(report["categories"]["accepted"])),
        (
            "acceptance rate",
            ("n/a" if rate is None else f"{rate:.1%} of records")
            + (
                f", {report['instruction_acceptance_rate']:.1%} of proposed tasks"
                if report["instruction_acceptance_rate"] is not None
                else ""
            ),
        ),
        ("time", f"{report['seconds']} s, {report['seconds_per_accepted']} s per accepted record"),
        (
            "tokens",
            f"{report['llm'].get('prompt_tokens', 0)} prompt, "
            f"{report['llm'].get('completion_tokens', 0)} completion, "
            + format_cost(report["llm"].get("cost_usd", 0) or 0, report["llm"].get("unpriced_tokens", 0)),
        ),
    ]
    for name, value in rows:
        table.add_row(name, value)
    Console(stderr=True).print(table)


def _reasons(counts: dict[str, int]) -> str:
    return ", ".join(f"{reason} {count}" for reason, count in counts.items()) or "none"
