"""Reports as markdown: the build (growth of the dataset, counts per stage, rejection funnel,
tokens and cost, plots) and training (loss curve); the evaluation writes its own
(pipeline/evaluate/report.py). The same text goes beside the dataset and into Prefect
artifacts."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pipeline.llm.budget import format_cost
from pipeline.report import plots


def _table(rows: Sequence[tuple[str, Any]], header: tuple[str, str]) -> list[str]:
    lines = [f"| {header[0]} | {header[1]} |", "| --- | ---: |"]
    lines += [f"| {name} | {value} |" for name, value in rows]
    return lines


def _image(title: str, png: bytes) -> list[str]:
    return [f"![{title}]({plots.data_uri(png)})", ""]


def _version_line(data: dict[str, Any]) -> str:
    if data.get("path") is None:
        return f"Dataset **{data['name']}**: no version published yet."
    state = "new version" if data.get("new") else "version (unchanged)"
    return f"Dataset **{data['name']}** {state} **{data['version']}** at `{data['path']}`."


def growth_section(growth: dict[str, Any]) -> list[str]:
    """What this build added to the dataset, and why nothing when it added nothing."""
    parent = growth.get("parent")
    lines = ["## Growth", ""]
    lines += _table(
        [
            ("build number", growth.get("build_number", 1)),
            ("resumed", "yes" if growth.get("resumed") else "no"),
            ("grew from", f"version {parent}" if parent else "(first version)"),
            ("new records", growth.get("added", 0)),
            ("new train / held-out", f"{growth.get('added_train', 0)} / {growth.get('added_heldout', 0)}"),
            ("records in the version", growth.get("total", 0)),
            (
                "new held-out picks moved to train (near a training record)",
                growth.get("heldout_moved_to_train", 0),
            ),
            (
                "dropped as duplicates of earlier builds",
                growth.get("dropped_as_duplicates_of_earlier_builds", 0),
            ),
            ("requests sent", growth.get("requests_sent", 0)),
            ("answered from the journal", growth.get("journal_hits", 0)),
            ("wall time (s)", growth.get("seconds", 0)),
        ],
        ("", "value"),
    )
    by_step = growth.get("duplicates_of_earlier_builds_by_step") or {}
    if by_step:
        lines += ["", "Duplicates of earlier builds, by the step that found them:", ""]
        lines += _table(list(by_step.items()), ("step", "records"))
    if growth.get("nothing_added"):
        lines += ["", f"**This build added nothing** (`{growth['nothing_added']}`): {growth.get('why', '')}."]
    if growth.get("index"):
        lines += ["", f"Earlier builds are remembered in the curation index `{growth['index']}`."]
    return lines + [""]


def categories_section(accepted: dict[str, int], splits: dict[str, dict[str, int]]) -> list[str]:
    """Records per task category: accepted by this build, and in the version's splits (records
    without a category count as `uncategorized`)."""
    train, heldout = splits.get("train", {}), splits.get("heldout", {})
    names = list(dict.fromkeys([*accepted, *train, *heldout]))
    if not names:
        return []
    lines = [
        "",
        "## Categories",
        "",
        "| category | accepted by this build | train (version) | held-out (version) |",
        "| --- | ---: | ---: | ---: |",
    ]
    lines += [
        f"| {name} | {accepted.get(name, 0)} | {train.get(name, 0)} | {heldout.get(name, 0)} |"
        for name in names
    ]
    return lines


def quality_lines(quality: dict[str, Any] | None) -> list[str]:
    """The structural checks' share of the run and the kept set's share of usable records."""
    if not quality:
        return []
    precision = quality["estimated_precision"]
    shown = "not estimable" if precision is None else f"**{100 * precision:.0f}%**"
    lines = [
        "",
        "## Quality",
        "",
        f"The structural checks dropped {quality['dropped']} of the {quality['seen']} records "
        "that reached them.",
    ]
    if quality.get("method") == "measured":
        return lines + [
            f"This run's generator is the embedded 135M model. Of what the checks keep of its output, "
            f"{shown} was usable when read by hand ({quality['set']}; the checks drop "
            f"{100 * quality['recall']:.0f}% of its unusable records): most of what it writes is fluent "
            "but answers nothing, which no structural check can see. Use a stronger generator for "
            "data worth training on.",
        ]
    return lines + [
        f"Measured on hand-labelled records never used to tune the checks ({quality['set']}): recall "
        f"{100 * quality['recall']:.1f}%, false drops {100 * quality['false_drop_rate']:.1f}% of good "
        f"records. Estimated share of usable records among those kept: {shown} (assumes this run's "
        "defects are like the labelled set's; wrong facts in well-formed answers are not counted: only "
        "a judge that knows the facts can see them).",
    ]


def build_section(summary: dict[str, Any], instructions: Sequence[str], *, with_plots: bool = True) -> str:
    """`instructions`: those of the records this build added (the plots' subject)."""
    gen, data = summary["generate"], summary["dataset"]
    llm = gen["llm"]
    growth = summary.get("growth") or {}
    rejected = gen.get("rejected", data.get("rejected", 0))
    tasks_rejected = gen.get("rejected_tasks", 0)
    lines = [f"# Dataset build `{summary['build']}`", "", _version_line(data), ""]
    if growth:
        lines += growth_section(growth)
    lines += ["## Counts per stage", ""]
    lines += _table(
        [
            ("seed tasks", gen["seeds"]),
            ("generation requests", gen["requests"]),
            ("requests sent to the model", llm.get("requests_sent", 0)),
            ("answered from the journal", llm.get("journal_hits", 0)),
            ("quarantined requests", llm.get("quarantined", 0)),
            ("unparseable answers", sum(gen["failures"].values())),
            ("tasks rejected before their instances", tasks_rejected),
            ("candidate records", gen["candidates"]),
            ("records rejected by curation", rejected - tasks_rejected),
            ("kept by curation", gen.get("kept", data["train"] + data["heldout"])),
            ("accepted beyond the target (not published)", gen.get("accepted_over_target", 0)),
            (
                "held-out picks moved to train (near a training record)",
                growth.get("heldout_moved_to_train", 0),
            ),
            ("train split (version)", data["train"]),
            ("held-out split (version)", data["heldout"]),
        ],
        ("stage", "count"),
    )
    lines += categories_section(gen.get("categories") or {}, data.get("categories") or {})
    lines += quality_lines(gen.get("quality"))
    if gen.get("quality_scores"):
        lines += ["", gen["quality_scores"]["markdown"].rstrip()]
    lines += ["", "## Rejection funnel", ""]
    reasons = gen.get("rejected_by_reason", data.get("rejected_by_reason", {}))
    lines += _table(list(reasons.items()) or [("(none)", 0)], ("reason", "records"))
    lines += ["", "## Tokens and cost", ""]
    lines += _table(
        [
            ("prompt tokens", llm.get("prompt_tokens", 0)),
            ("completion tokens", llm.get("completion_tokens", 0)),
            ("answers without usage (tokens estimated)", llm.get("usage_estimated", 0)),
            ("cost", format_cost(llm.get("cost_usd", 0.0), llm.get("unpriced_tokens", 0))),
        ],
        ("kind", "amount"),
    )
    exports = data.get("exports", {}).values()
    lines += ["", f"Exports: {', '.join(f'`{name}`' for name in exports) or '(none)'}", ""]
    if with_plots:
        lines += ["## Plots", ""]
        lines += _image("Instruction lengths", plots.instruction_length_histogram(instructions))
        lines += _image("Leading words", plots.leading_verbs_bar(instructions))
        lines += _image("Rejection reasons", plots.rejection_reasons_bar(reasons))
    return "\n".join(lines) + "\n"


def training_section(metrics: dict[str, Any], *, with_plots: bool = True) -> str:
    lines = ["## Training", ""]
    lines += _table(
        [
            ("optimizer steps", metrics["steps"]),
            ("trained tokens", metrics["trained_tokens"]),
            ("seconds", metrics["seconds"]),
            ("final train loss", f"{metrics['final_train_loss']:.4f}"),
        ],
        ("metric", "value"),
    )
    lines.append("")
    if with_plots and metrics.get("history"):
        lines += _image("Loss curve", plots.loss_curve(metrics["history"], metrics.get("validation_loss")))
    return "\n".join(lines) + "\n"


def outputs_section(outputs: dict[str, str]) -> str:
    return "\n".join(["## Outputs", ""] + [f"- {name}: `{path}`" for name, path in outputs.items()]) + "\n"


_LOCAL_IMAGE = re.compile(r"!\[([^\]]*)\]\((?!data:|https?:)([^)]+\.png)\)")


def inline_images(markdown_file: Path) -> str:
    """A markdown file's text with its local PNG links turned into data URIs, so the text can
    move (into another report, or a Prefect artifact) and keep its figures."""
    text = markdown_file.read_text(encoding="utf-8")

    def embed(match: re.Match[str]) -> str:
        image = markdown_file.parent / match.group(2)
        if not image.is_file():
            return match.group(0)
        return f"![{match.group(1)}]({plots.data_uri(image.read_bytes())})"

    return _LOCAL_IMAGE.sub(embed, text)


def pipeline_report(
    build_report: Path, training: dict[str, Any], evaluation_report: Path, outputs: dict[str, str]
) -> str:
    """The whole run's report: the build's report, then training, the evaluation (its headings
    moved one level down) and where every output is."""
    evaluation_md = inline_images(evaluation_report)
    return (
        build_report.read_text(encoding="utf-8")
        + "\n"
        + training_section(training)
        + "\n"
        + re.sub(r"^# ", "## ", evaluation_md, flags=re.MULTILINE)
        + "\n"
        + outputs_section(outputs)
    )
