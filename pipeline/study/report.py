"""The study's markdown report: curves, a table per size, verdicts and the suggested quota."""

from __future__ import annotations

from typing import Any

from pipeline.study.scores import ALL, Point


def _cell(point: Point | None) -> str:
    if point is None or point.mean is None:
        return "–"
    interval = (
        f" [{point.low:.3f}–{point.high:.3f}]" if point.low is not None and point.high is not None else ""
    )
    return f"{point.mean:.3f}{interval} (n={point.examples}, items={point.items})"


def quota_yaml(quota: dict[str, int]) -> str:
    lines = ["generate:", "  category_quota:"]
    lines += [f"    {category}: {count}" for category, count in quota.items()]
    return "\n".join(lines)


def render_markdown(study: dict[str, Any], curves_link: str | None) -> str:
    sizes = study["sizes"]
    lines = [
        f"# Size study of `{study['dataset']}`",
        "",
        f"Metric: **{study['metric']}** per eval item (tuned model), mean with a "
        f"{round(study['confidence'] * 100)}% bootstrap interval; {study['eval_items']} eval items "
        f"({study['eval_set']}); subsets nested and stratified by category (seed {study['seed']}); "
        f"saturation margin {study['margin']}.",
        "",
    ]
    if curves_link:
        lines += [f"![score by training-set size]({curves_link})", ""]
    header = (
        ["category", "base (0)"] + [f"{s['label']} ({s['records']})" for s in sizes] + ["verdict", "quota"]
    )
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    verdicts = {v["category"]: v for v in study["verdicts"]}
    for category, curve in study["curves"].items():
        points = [Point.model_validate(p) for p in curve]
        base = study["base"].get(category)
        verdict = verdicts.get(category)
        row = [
            f"**{category}**" if category == ALL else category,
            _cell(Point.model_validate(base) if base else None),
        ]
        row += [_cell(p) for p in points]
        row += [
            verdict["verdict"] if verdict else "–",
            str(verdict["suggested_quota"]) if verdict and category != ALL else "",
        ]
        lines.append("| " + " | ".join(row) + " |")
    lines += ["", "## Verdicts", ""]
    lines += [f"- **{v['category']}**: {v['verdict']} — {v['why']}" for v in study["verdicts"]]
    lines += [
        "",
        "## Suggested quota for the next build",
        "",
        "New records to generate per category: one more doubling where the score still improves, "
        "none where more data stopped helping or never helped (fix the data or the task instead). "
        "Paste into the build config:",
        "",
        "```yaml",
        quota_yaml(study["quota"]),
        "```",
        "",
        "## Runs",
        "",
        "| size | records | per category | training s | evaluation s | reused |",
        "|---|---|---|---|---|---|",
    ]
    for size in sizes:
        counts = ", ".join(f"{c} {n}" for c, n in size["by_category"].items())
        lines.append(
            f"| {size['label']} | {size['records']} | {counts} | {size['train_seconds']:.0f} | "
            f"{size['eval_seconds']:.0f} | {', '.join(size['reused']) or 'no'} |"
        )
    lines += ["", f"Wall time {study['wall_seconds']:.0f} s."]
    return "\n".join(lines) + "\n"
