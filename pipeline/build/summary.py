"""What a build reports: the summary (the flow's return value, the CLI's lines) and the
Markdown report beside the run and the version, with the growth of the dataset in both."""

from __future__ import annotations

from collections import Counter
from typing import Any

from pipeline.build.history import index_location
from pipeline.build.result import DatasetBuild
from pipeline.curate.index_location import shown_location
from pipeline.curate.views import instruction_of
from pipeline.io import run_dir, write_atomic
from pipeline.report.markdown import build_section
from pipeline.review.report import review_section
from pipeline.review.stats import suggestions
from pipeline.review.store import ReviewStore
from pipeline.settings import data_dir


def _dataset(built: DatasetBuild) -> dict[str, Any]:
    publication, rejected = built.publication, built.generated.rejected
    if publication.version is None:
        return {
            "train": 0,
            "heldout": 0,
            "rejected": len(rejected),
            "rejected_by_reason": dict(Counter(r.reason for r in rejected).most_common()),
            "name": built.config.name,
            "version": None,
            "path": None,
            "exports": {},
            "new": False,
        }
    manifest = publication.version.manifest
    return {
        **manifest["counts"],
        "name": built.config.name,
        "version": publication.version.version,
        "path": str(publication.version.path),
        "exports": manifest.get("exports", {}),
        "categories": manifest.get("categories", {}),  # per split; none in versions made before
        "new": publication.new,
    }


def growth_summary(built: DatasetBuild) -> dict[str, Any]:
    publication, usage, state = built.publication, built.generated.usage, built.claim.state
    parent = (
        publication.version.manifest.get("parent")
        if publication.new and publication.version
        else state.parent
    )
    earlier = Counter(r.step for r in built.generated.rejected if "earlier_build" in r.evidence)
    location = index_location(built.config)
    return {
        "build_number": state.number,
        "resumed": built.claim.resumed,
        "parent": parent,
        "added": publication.growth.get("added", 0),
        "added_train": publication.growth.get("added_train", 0),
        "added_heldout": publication.growth.get("added_heldout", 0),
        "total": publication.growth.get("total", 0),
        "dropped_as_duplicates_of_earlier_builds": sum(earlier.values()),
        "duplicates_of_earlier_builds_by_step": dict(earlier.most_common()),
        "heldout_moved_to_train": publication.growth.get("heldout_moved_to_train", 0),
        "requests_sent": usage.requests_sent,
        "journal_hits": usage.journal_hits,
        "seconds": round(built.seconds, 1),
        "nothing_added": publication.nothing_added,
        "why": publication.why,
        "index": shown_location(location) if location else None,
    }


def summarize(built: DatasetBuild) -> dict[str, Any]:
    """The build's summary; writes the report to DATA_DIR/runs/BUILD/build-report.md (and
    beside a version this build published)."""
    summary: dict[str, Any] = {
        "build": built.id,
        "generate": built.stats,
        "dataset": _dataset(built),
        "growth": growth_summary(built),
    }
    if built.review is not None:
        summary["review"] = built.review.summary()
    instructions = [instruction_of(record) for record in built.publication.added]
    hints = suggestions(ReviewStore(built.config.name).sessions(), built.config.review.suggest_after)
    report = build_section(summary, instructions) + review_section(summary.get("review"), hints)
    folder = run_dir(built.id)
    write_atomic(folder / "build-report.md", report)
    if built.publication.new and built.publication.version is not None:
        write_atomic(built.publication.version.path / "report.md", report)
    summary.update(
        report=str(folder / "build-report.md"),
        run_dir=str(folder),
        journal=str(data_dir() / "journal.sqlite3"),
    )
    return summary
