"""The evaluation report as markdown (for files and for a Prefect artifact)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pipeline.evaluate.summary import SCORES
from pipeline.report.plots import data_uri

_LABELS = {"rouge_l": "ROUGE-L F1", "semantic": "semantic similarity (cosine)", "judge": "judge score (0-1)"}
_LANGUAGES = {"zh": "Chinese answers", "other": "other answers"}


def semantic_line(measures: dict[str, dict[str, Any]] | None) -> str:
    """Which measure each language's answers got."""
    if not measures:
        return "- semantic similarity: not computed"
    parts = [
        f"{_LANGUAGES.get(language, language)} ({found['items']} items): {found['description']}"
        for language, found in measures.items()
    ]
    return "- semantic similarity: " + "; ".join(parts)


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def _delta(base: float | None, tuned: float | None) -> str:
    return "–" if base is None or tuned is None else f"{tuned - base:+.3f}"


def _cell(text: str | None, limit: int = 600) -> str:
    if not text:
        return "*(none)*"
    text = text if len(text) <= limit else text[:limit] + " …"
    return text.replace("|", "\\|").replace("\r", "").replace("\n", "<br>")


def _win(pair: dict[str, Any] | None) -> str:
    if not pair or not pair["judged"]:
        return "–"
    low, high = pair["ci95"]
    return f"{pair['win_rate']:.2f} [{low:.2f}, {high:.2f}] (n={pair['judged']})"


def verdict(report: dict[str, Any]) -> str:
    parts = []
    pair = report["overall"]["pairwise"]
    if pair and pair["judged"]:
        low, high = pair["ci95"]
        side = "better than" if low > 0.5 else "worse than" if high < 0.5 else "not distinguishable from"
        parts.append(
            f"judge: tuned is **{side}** base (win rate {pair['win_rate']:.2f}, 95% CI "
            f"{low:.2f}–{high:.2f}, {pair['wins']} wins / {pair['ties']} ties / "
            f"{pair['losses']} losses)"
        )
    loss = report.get("loss")
    if loss:
        parts.append(
            f"held-out loss {loss['base_loss']:.4f} → {loss['tuned_loss']:.4f} "
            f"(perplexity {loss['base_perplexity']} → {loss['tuned_perplexity']})"
        )
    return "; ".join(parts) or "no judge and no reference answers: see the answers below"


def _examples(rows: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    """The clearest wins and losses first, then the rest in file order."""

    def strength(row: dict[str, Any]) -> float:
        tuned, base = row["tuned"]["judge"], row["base"]["judge"]
        return abs(tuned - base) if tuned is not None and base is not None else 0.0

    return sorted(rows, key=strength, reverse=True)[:count]


def render_markdown(report: dict[str, Any], plots: dict[str, str] | None = None, examples: int = 5) -> str:
    """`plots` maps a figure's name to its link (relative path, or a data URI)."""
    overall, meta = report["overall"], report["eval_set"]
    where = f"`{meta['path']}`" if meta["path"] else meta["name"]
    lines = [
        f"# Evaluation: tuned vs base — {meta['name']}",
        "",
        f"**Verdict** — {verdict(report)}.",
        "",
        f"- eval set: {where} — {overall['items']} items "
        f"({', '.join(f'{k} {v}' for k, v in meta['by_source'].items())})",
        f"- base model: `{report['models']['base']}`",
        f"- adapter: `{report['models']['adapter']}`",
    ]
    dec = report["decontamination"]
    if dec["checked_against"]:
        lines.append(
            f"- decontamination: checked against `{dec['checked_against']}` "
            f"(exact + ROUGE-L > {dec['threshold']}): {len(dec['dropped'])} items dropped"
        )
    else:
        lines.append("- decontamination: no training set given, not checked")
    lines.append(semantic_line(report.get("semantic_similarity")))
    judge = report.get("judge")
    if judge:
        lines.append(
            f"- judge: `{judge['model']}` at {judge['endpoint']} — {judge['requests']} "
            f"requests, {judge['failures']} unusable replies"
        )
    lines += [
        "",
        "## Overall",
        "",
        "| metric | base | tuned | Δ | items scored |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for metric in SCORES:
        lines.append(
            f"| {_LABELS[metric]} | {_num(overall['base'][metric])} | "
            f"{_num(overall['tuned'][metric])} | {_delta(overall['base'][metric], overall['tuned'][metric])} "
            f"| {overall['scored'][metric]} |"
        )
    loss = report.get("loss")
    if loss:
        lines.append(
            f"| held-out loss (lower is better) | {loss['base_loss']:.4f} | {loss['tuned_loss']:.4f} "
            f"| {loss['tuned_loss'] - loss['base_loss']:+.4f} | {loss['records']} |"
        )
        lines.append(f"| perplexity | {loss['base_perplexity']} | {loss['tuned_perplexity']} | | |")
    pair = overall["pairwise"]
    if pair:
        lines += [
            "",
            f"Pairwise win rate of tuned over base: {_win(pair)}; position consistency "
            f"{_num(pair['position_consistency'])} (share of items where both orders agree).",
        ]
    lines += [
        "",
        "## Per category",
        "",
        "| category | rubric | ref. shown | items | ROUGE-L b→t | semantic b→t | judge b→t "
        "| win rate [95% CI] |",
        "| --- | --- | :---: | ---: | --- | --- | --- | --- |",
    ]
    for name, cat in report["by_category"].items():
        cells = [f"{_num(cat['base'][m])} → {_num(cat['tuned'][m])}" for m in SCORES]
        lines.append(
            f"| {name} | {cat['rubric']} | {'yes' if cat['reference_shown_to_judge'] else 'no'} "
            f"| {cat['items']} | {' | '.join(cells)} | {_win(cat['pairwise'])} |"
        )
    if plots:
        lines += ["", "## Plots", ""] + [f"![{name}]({link})" for name, link in plots.items()]
    lines += ["", "## Examples side by side", ""]
    for row in _examples(report["items"], examples):
        outcome = (row.get("pairwise") or {}).get("outcome") or "not judged"
        lines += [
            f"### `{row['id']}` ({row['category']}) — tuned: {outcome}",
            "",
            f"**Instruction:** {_cell(row['instruction'])}",
            "",
        ]
        if row["input"]:
            lines += [f"**Input:** {_cell(row['input'])}", ""]
        lines += [
            f"**Reference:** {_cell(row['reference'])}",
            "",
            "| base | tuned |",
            "| --- | --- |",
            f"| {_cell(row['base']['answer'])} | {_cell(row['tuned']['answer'])} |",
            f"| judge {_num(row['base']['judge'])}, ROUGE-L {_num(row['base']['rouge_l'])} "
            f"| judge {_num(row['tuned']['judge'])}, ROUGE-L {_num(row['tuned']['rouge_l'])} |",
            "",
        ]
    gen = report["generation"]
    lines += [
        "## How the answers were made",
        "",
        f"{gen['engine']}, template `{gen['template']}`, decoding {gen['decoding']}. "
        f"Base: {gen['base']['new_tokens']} tokens in {gen['base']['seconds']} s "
        f"({gen['base']['tokens_per_second']} tok/s, {gen['base']['ended_with_eos']} of "
        f"{gen['base']['answers']} ended with EOS); tuned: {gen['tuned']['new_tokens']} tokens in "
        f"{gen['tuned']['seconds']} s ({gen['tuned']['tokens_per_second']} tok/s, "
        f"{gen['tuned']['ended_with_eos']} ended with EOS).",
        "",
    ]
    return "\n".join(lines) + "\n"


def publish_artifact(report: dict[str, Any], plot_files: list[Path], key: str) -> str:
    """The report as a Prefect markdown artifact (plots inline, so the UI shows them without a
    file server); returns the artifact id. Call inside a flow or task run."""
    from prefect.artifacts import create_markdown_artifact

    markdown = render_markdown(report, {p.stem: data_uri(p.read_bytes()) for p in plot_files})
    slug = re.sub(r"[^a-z0-9-]+", "-", key.lower()).strip("-")  # Prefect's rule for keys
    artifact_id = create_markdown_artifact(
        markdown=markdown, key=slug, description=f"tuned vs base on {report['eval_set']['name']}"
    )
    return str(artifact_id)
