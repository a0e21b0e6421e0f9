"""The study's curves: score against training examples (log scale), one line per category,
confidence intervals as bands; the base model (no examples) as a dotted level."""

from __future__ import annotations

import io

from pipeline.study.scores import ALL, Point


def curves_png(curves: dict[str, list[Point]], base: dict[str, Point], metric: str) -> bytes:
    from pipeline.report.fonts import pyplot

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.2), dpi=100)
    try:
        colors = plt.get_cmap("tab20").colors
        for index, (category, curve) in enumerate(sorted(curves.items(), key=lambda kv: kv[0] != ALL)):
            shown = [p for p in curve if p.mean is not None and p.examples > 0]
            if not shown:
                continue
            color = "black" if category == ALL else colors[index % len(colors)]
            xs = [p.examples for p in shown]
            ax.plot(
                xs,
                [float(p.mean or 0.0) for p in shown],
                marker="o",
                color=color,
                label=category,
                linewidth=2.4 if category == ALL else 1.4,
            )
            banded = [p for p in shown if p.low is not None and p.high is not None]
            if len(banded) >= 2:
                ax.fill_between(
                    [p.examples for p in banded],
                    [float(p.low or 0.0) for p in banded],
                    [float(p.high or 0.0) for p in banded],
                    color=color,
                    alpha=0.12,
                )
            level = base.get(category)
            if level is not None and level.mean is not None:
                ax.axhline(level.mean, color=color, linestyle=":", linewidth=1)
        ax.set_xscale("log")
        ax.set_xlabel("training examples of the category (log scale)")
        ax.set_ylabel(f"{metric} (mean per item)")
        ax.set_title("Score by training-set size (dotted: base model)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        plt.close(fig)
