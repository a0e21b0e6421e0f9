"""`seedforge review DATASET_VERSION --sample N`: a human reads a sample of a version's records
in the terminal (or hands in a decision file) and the decisions become the next version."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pipeline.commands.common import PANEL_DATA, fail, warn
from pipeline.errors import SeedforgeError
from pipeline.processes import exit_code

if TYPE_CHECKING:
    from pipeline.review.models import Submission
    from pipeline.review.terminal import Answers
    from pipeline.review.version import VersionReview, VersionReviewResult


def _index_reviewed(version_manifest: dict[str, Any], session_id: str, records: list[Any]) -> str | None:
    """Rejected and edited texts into the dataset's curation index, so no later build brings
    them back; None when done, else why not."""
    from pydantic import ValidationError

    from pipeline.build.history import open_build_index
    from pipeline.build.publish import commit_index
    from pipeline.config import BuildConfig

    try:
        config = BuildConfig.model_validate(version_manifest.get("config") or {})
    except ValidationError:
        return "the version's config is not a build config (a KB version?)"
    index = open_build_index(config)
    if index is None:
        return "cross-build dedup is off for this dataset (history.dedup: false)"
    if records:
        commit_index(index, f"review-{session_id}", records, config.curate)
    return None


@contextmanager
def _reader_may_stop_early() -> Iterator[None]:
    """The version is written before anything is printed, so a reader that stops early (`|
    head`) is no error: the rest of the output goes to /dev/null, where the interpreter's last
    flush cannot fail either (click would exit 1 on the broken pipe)."""
    try:
        yield
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):  # a stdout without a file descriptor (a test runner's)
            pass
        finally:
            os.close(devnull)


def _stdin_is_terminal() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


def _ask(opened: VersionReview, reviewer: str | None) -> Answers:
    """The terminal review; says on stderr when the input ran out or Ctrl-C stopped it."""
    from pipeline.review.terminal import ask_in_terminal, reviewer_name

    name = reviewer_name(reviewer, os.environ.get("USER"), _stdin_is_terminal())
    answers = ask_in_terminal(opened.sample, name)
    if answers.ended != "answered":
        made = len(answers.submission.decisions)
        warn(f"{answers.ended}: stopped asking after {made} decision(s); the rest stays undecided")
    return answers


def _nothing_decided(submission: Submission) -> bool:
    return not submission.decisions and not submission.approve_rest


def _print_result(opened: VersionReview, result: VersionReviewResult) -> None:
    from pipeline.review.report import review_section
    from pipeline.review.stats import suggestions

    stats = result.stats.as_dict()
    where = f"{result.version.path}" + ("" if result.new else " (unchanged: every decision an accept)")
    typer.echo(f"review {result.session.id} by {result.session.reviewer}: {where}")
    typer.echo(
        f"  accepted {stats['accepted']}, rejected {stats['rejected']}, edited {stats['edited']}, "
        f"undecided {stats['undecided']}; {stats['remainder']} records never reviewed"
    )
    config = result.version.manifest.get("config") or {}
    hints = suggestions(opened.store.sessions(), int((config.get("review") or {}).get("suggest_after", 2)))
    typer.echo(review_section({"status": "reviewed", "stats": stats}, hints).strip())


def review(
    dataset_version: Annotated[
        str, typer.Argument(help="A dataset version: NAME (its latest), NAME@vN, or a version directory")
    ],
    sample: Annotated[int, typer.Option("--sample", "-n", min=1, help="Records to review")] = 10,
    decisions: Annotated[
        Path | None,
        typer.Option(
            help="A YAML/JSON decision file (dataset, version, reviewer, decisions) instead of asking",
            show_default="ask in the terminal",
        ),
    ] = None,
    reviewer: Annotated[
        str | None,
        typer.Option(help="Your name, for the manifest", show_default="$USER, or the decision file's"),
    ] = None,
) -> None:
    """Review a sample of a version's records (per category and risk, lowest quality score
    first, never a record reviewed before): accept, reject with a reason, or edit the output.
    The decisions make the next version (rejected records move to rejected.jsonl, edits are
    recorded in the lineage), rejected texts join the curation index so no later build brings
    them back, and the reviewed records are never asked about again."""
    from pipeline.review.terminal import reviewer_name
    from pipeline.review.version import apply_to_dataset, open_review, read_decision_file

    interrupted_by: int | None = None  # the signal that stopped the questions
    try:
        if reviewer is not None:  # a blank --reviewer is refused whichever way decisions come
            reviewer = reviewer_name(reviewer, None, can_ask=False)
        opened = open_review(dataset_version, sample)
        if decisions is not None:
            submission = read_decision_file(decisions, opened)
        elif not opened.sample:
            typer.echo(f"{opened.label}: every record was reviewed already; nothing to ask")
            return
        else:
            answers = _ask(opened, reviewer)
            submission, interrupted_by = answers.submission, answers.signum
            if _nothing_decided(submission):  # stopping before a decision is no error
                typer.echo(f"{opened.label}: nothing decided, nothing applied")
                raise typer.Exit(0 if interrupted_by is None else exit_code(interrupted_by))
        result = apply_to_dataset(opened, submission)
        not_indexed = _index_reviewed(result.version.manifest, result.session.id, result.to_index)
    except SeedforgeError as exc:
        fail(exc)
    if not_indexed:
        warn(f"the curation index was not updated: {not_indexed}")
    with _reader_may_stop_early():
        _print_result(opened, result)
    if interrupted_by is not None:  # what was decided before Ctrl-C is applied; the exit says Ctrl-C
        warn(f"interrupted: the decisions made before it are applied ({result.version.path})")
        raise typer.Exit(exit_code(interrupted_by))


def register(app: typer.Typer) -> None:
    app.command(rich_help_panel=PANEL_DATA)(review)
