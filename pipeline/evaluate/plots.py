"""The evaluation report's figures (matplotlib, Agg, a CJK font: `pipeline.report.fonts`), written
as PNG files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.report.fonts import pyplot

METRICS = (("rouge_l", "ROUGE-L F1"), ("semantic", "semantic similarity"), ("judge", "judge score"))
COLORS = {"base": "#9aa5b1", "tuned": "#3b7dd8", "win": "#2e9d5b", "tie": "#c9c9c9", "loss": "#d8553b"}


def scores_by_category(report: dict[str, Any], path: Path) -> Path | None:
    """One panel per metric that has values: base vs tuned bars per category."""
    categories = list(report["by_category"])
    panels = [
        (key, title)
        for key, title in METRICS
        if any(report["by_category"][c]["tuned"].get(key) is not None for c in categories)
    ]
    if not panels or not categories:
        return None
    plt = pyplot()
    height = 1.9 + 0.45 * len(categories)
    fig, axes = plt.subplots(
        1, len(panels), figsize=(4.2 * len(panels), height), dpi=100, squeeze=False, sharey=True
    )
    positions = list(range(len(categories)))
    try:
        for ax, (key, title) in zip(axes[0], panels, strict=True):
            for offset, side in ((-0.2, "base"), (0.2, "tuned")):
                values = [report["by_category"][c][side].get(key) or 0.0 for c in categories]
                ax.barh([p + offset for p in positions], values, height=0.38, color=COLORS[side], label=side)
            ax.set_xlim(0, 1)
            ax.set_title(title)
            ax.set_yticks(positions, categories)
            ax.invert_yaxis()
        fig.legend(*axes[0][0].get_legend_handles_labels(), loc="upper right", ncol=2, fontsize=8)
        fig.tight_layout(rect=(0, 0, 1, 0.9))
        fig.savefig(path)
    finally:
        plt.close(fig)
    return path


def pairwise_outcomes(report: dict[str, Any], path: Path) -> Path | None:
    """Win / tie / loss shares of tuned vs base, overall and per category."""
    rows = [("all", report["overall"]["pairwise"])]
    rows += [(c, v["pairwise"]) for c, v in report["by_category"].items()]
    rows = [(name, p) for name, p in rows if p and p["judged"]]
    if not rows:
        return None
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 1.9 + 0.45 * len(rows)), dpi=100)
    try:
        for index, (_, pair) in enumerate(rows):
            left = 0.0
            for outcome, key in (("win", "wins"), ("tie", "ties"), ("loss", "losses")):
                share = pair[key] / pair["judged"]
                ax.barh(index, share, left=left, color=COLORS[outcome], label=outcome if index == 0 else None)
                left += share
            low, high = pair["ci95"]
            ax.errorbar(
                pair["win_rate"],
                index,
                xerr=[[pair["win_rate"] - low], [high - pair["win_rate"]]],
                fmt="o",
                color="black",
                capsize=3,
            )
        ax.axvline(0.5, color="black", linewidth=0.6, linestyle=":")
        ax.set_yticks(range(len(rows)), [f"{n} (n={p['judged']})" for n, p in rows])
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.set_title("Tuned vs base, judged in both orders (dot: win rate, 95% Wilson CI)")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), fontsize=8, ncol=3)
        fig.tight_layout()
        fig.savefig(path)
    finally:
        plt.close(fig)
    return path


def write_plots(report: dict[str, Any], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    made = [
        scores_by_category(report, folder / "scores_by_category.png"),
        pairwise_outcomes(report, folder / "pairwise.png"),
    ]
    return [p for p in made if p is not None]
