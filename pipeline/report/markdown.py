"""The run report: counts at every stage, the rejection funnel, and tuned vs base."""

from __future__ import annotations

from typing import Any


def _table(rows: list[tuple[str, Any]], header: tuple[str, str]) -> list[str]:
    lines = [f"| {header[0]} | {header[1]} |", "| --- | ---: |"]
    lines += [f"| {name} | {value} |" for name, value in rows]
    return lines


def render_run_report(summary: dict[str, Any]) -> str:
    gen, data, train, evaluation = (summary[k] for k in ("generate", "dataset", "train", "evaluate"))
    llm = gen["llm"]
    lines = [f"# seedforge run `{summary['build']}`", ""]
    lines += ["## Counts per stage", ""]
    lines += _table([
        ("seed tasks", gen["seeds"]),
        ("generation requests", gen["requests"]),
        ("requests sent to the model", llm.get("requests_sent", 0)),
        ("answered from the journal", llm.get("journal_hits", 0)),
        ("quarantined requests", llm.get("quarantined", 0)),
        ("unparseable answers", sum(gen["failures"].values())),
        ("candidate records", gen["candidates"]),
        ("rejected by curation", data["rejected"]),
        ("kept", data["train"] + data["heldout"]),
        ("train split", data["train"]),
        ("held-out split", data["heldout"]),
    ], ("stage", "count"))
    lines += ["", "## Rejection funnel", ""]
    reasons = data.get("rejected_by_reason", {})
    lines += _table(list(reasons.items()) or [("(none)", 0)], ("reason", "records"))
    lines += ["", "## Tokens", ""]
    lines += _table([("prompt tokens", llm.get("prompt_tokens", 0)),
                     ("completion tokens", llm.get("completion_tokens", 0))], ("kind", "tokens"))
    lines += ["", "## Training", ""]
    lines += _table([
        ("optimizer steps", train["steps"]),
        ("trained tokens", train["trained_tokens"]),
        ("seconds", train["seconds"]),
        ("final train loss", f"{train['final_train_loss']:.4f}"),
    ], ("metric", "value"))
    lines += ["", "## Tuned vs base (held-out loss)", ""]
    lines += [
        "| model | held-out loss | perplexity |",
        "| --- | ---: | ---: |",
        f"| base | {evaluation['base_loss']:.4f} | {evaluation['base_perplexity']} |",
        f"| tuned | {evaluation['tuned_loss']:.4f} | {evaluation['tuned_perplexity']} |",
        "",
        f"Held-out records: {evaluation['records']} ({evaluation['tokens']} answer tokens). "
        f"Tuned is {'better' if evaluation['tuned_better'] else 'NOT better'} than base.",
        "",
        "## Outputs", "",
    ]
    lines += [f"- {name}: `{path}`" for name, path in summary["outputs"].items()]
    return "\n".join(lines) + "\n"
