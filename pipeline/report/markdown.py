"""Reports as markdown: the build (counts per stage, rejection funnel, tokens and cost, plots),
training (loss curve) and tuned vs base. The same text goes beside the dataset and into a
Prefect artifact."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pipeline.report import plots


def _table(rows: Sequence[tuple[str, Any]], header: tuple[str, str]) -> list[str]:
    lines = [f"| {header[0]} | {header[1]} |", "| --- | ---: |"]
    lines += [f"| {name} | {value} |" for name, value in rows]
    return lines


def _image(title: str, png: bytes) -> list[str]:
    return [f"![{title}]({plots.data_uri(png)})", ""]


def build_section(summary: dict[str, Any], instructions: Sequence[str], *, with_plots: bool = True) -> str:
    gen, data = summary["generate"], summary["dataset"]
    llm = gen["llm"]
    kept = data["train"] + data["heldout"]
    lines = [f"# Dataset build `{summary['build']}`", "",
             f"Dataset **{data['name']}** version **{data['version']}** at `{data['path']}`.", "",
             "## Counts per stage", ""]
    lines += _table([
        ("seed tasks", gen["seeds"]),
        ("generation requests", gen["requests"]),
        ("requests sent to the model", llm.get("requests_sent", 0)),
        ("answered from the journal", llm.get("journal_hits", 0)),
        ("quarantined requests", llm.get("quarantined", 0)),
        ("unparseable answers", sum(gen["failures"].values())),
        ("candidate records", gen["candidates"]),
        ("rejected by curation", data["rejected"]),
        ("kept", kept),
        ("train split", data["train"]),
        ("held-out split", data["heldout"]),
    ], ("stage", "count"))
    lines += ["", "## Rejection funnel", ""]
    reasons = data.get("rejected_by_reason", {})
    lines += _table(list(reasons.items()) or [("(none)", 0)], ("reason", "records"))
    lines += ["", "## Tokens and cost", ""]
    lines += _table([("prompt tokens", llm.get("prompt_tokens", 0)),
                     ("completion tokens", llm.get("completion_tokens", 0)),
                     ("cost (USD)", f"{llm.get('cost_usd', 0.0):.4f}")], ("kind", "amount"))
    lines += ["", f"Exports: {', '.join(f'`{name}`' for name in data.get('exports', {}).values())}", ""]
    if with_plots:
        lines += ["## Plots", ""]
        lines += _image("Instruction lengths", plots.instruction_length_histogram(instructions))
        lines += _image("Leading words", plots.leading_verbs_bar(instructions))
        lines += _image("Rejection reasons", plots.rejection_reasons_bar(reasons))
    return "\n".join(lines) + "\n"


def training_section(metrics: dict[str, Any], *, with_plots: bool = True) -> str:
    lines = ["## Training", ""]
    lines += _table([
        ("optimizer steps", metrics["steps"]),
        ("trained tokens", metrics["trained_tokens"]),
        ("seconds", metrics["seconds"]),
        ("final train loss", f"{metrics['final_train_loss']:.4f}"),
    ], ("metric", "value"))
    lines.append("")
    if with_plots and metrics.get("history"):
        lines += _image("Loss curve", plots.loss_curve(metrics["history"], metrics.get("validation_loss")))
    return "\n".join(lines) + "\n"


def evaluation_section(evaluation: dict[str, Any]) -> str:
    verdict = "better" if evaluation["tuned_better"] else "NOT better"
    lines = [
        "## Tuned vs base (held-out loss)", "",
        "| model | held-out loss | perplexity |",
        "| --- | ---: | ---: |",
        f"| base | {evaluation['base_loss']:.4f} | {evaluation['base_perplexity']} |",
        f"| tuned | {evaluation['tuned_loss']:.4f} | {evaluation['tuned_perplexity']} |",
        "",
        f"Held-out records: {evaluation['records']} ({evaluation['tokens']} answer tokens). "
        f"Tuned is {verdict} than base.",
        "",
    ]
    return "\n".join(lines) + "\n"


def outputs_section(outputs: dict[str, str]) -> str:
    return "\n".join(["## Outputs", ""] + [f"- {name}: `{path}`" for name, path in outputs.items()]) + "\n"
