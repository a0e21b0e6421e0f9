"""Publishing a build: the next version (the parent's records plus this build's), then this
build's records into the curation index, in that order. A build that fails before leaves no
trace in either; one killed between the two is resumed, finds its version already published
and only commits the index. A build that adds nothing publishes nothing and says why."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pipeline.build.history import History
from pipeline.config import BuildConfig
from pipeline.curate.config import CurateConfig
from pipeline.curate.index import CurationIndex, IndexEntry
from pipeline.curate.minhash import Signer
from pipeline.curate.prepare import minhash_text
from pipeline.curate.views import compared_text
from pipeline.dataset.builds import locked
from pipeline.dataset.growth import Grown, grow, growth_lineage, growth_numbers
from pipeline.dataset.versions import (
    MIN_RECORDS_FOR_VERSION,
    DatasetVersion,
    datasets_root,
    latest_version,
    load_version,
    write_version,
)
from pipeline.generate.self_instruct.loop import SelfInstructResult
from pipeline.llm.request import BUDGET_EXHAUSTED
from pipeline.records import Record
from pipeline.review.decisions import rejected_by_review
from pipeline.stage import MAX_REQUESTS

# why a build added nothing (codes), with the sentence the report shows
NO_NEW_RECORDS = "no_new_records"
ALREADY_IN_DATASET = "already_in_dataset"
TOO_FEW_RECORDS = "too_few_records"


@dataclass
class Publication:
    """The dataset after this build: a new version, or the parent unchanged (or none at all)."""

    version: DatasetVersion | None
    new: bool
    growth: dict[str, int] = field(default_factory=dict)
    added: list[Record] = field(default_factory=list)
    nothing_added: str = ""  # a code above; empty when the build added records
    why: str = ""  # the sentence for reports


def commit_index(
    index: CurationIndex | None, build: str, records: list[Record], curate: CurateConfig
) -> None:
    """Exactly the records the version added, whatever curation staged on the way (a batch's
    surplus over the target is staged but never published)."""
    if index is None:
        return
    index.abort()
    if build in {entry.get("name") for entry in index.builds()}:
        return  # committed before the run that published it was killed
    signer = Signer(curate.minhash)
    for record in records:
        text = compared_text(record, curate.compare)
        index.stage(IndexEntry(record.id, text, signer.signature(minhash_text(record, curate))))
    index.commit(build)


def backfill_index(config: BuildConfig, history: History) -> None:
    """An index that remembers no build while the dataset has a version (made before builds
    used an index, or a new index location) first gets the parent's records: every version
    holds all that earlier builds kept."""
    index, parent = history.index, history.parent
    if index is None or parent is None or index.builds():
        return
    name = f"{config.name}-v{parent.version:04d}-backfill"
    commit_index(index, name, history.train + history.heldout, config.curate)


def why_nothing(
    generated: SelfInstructResult, config: BuildConfig, dropped: int, grown: Grown | None
) -> tuple[str, str]:
    if grown is not None and grown.added:
        return TOO_FEW_RECORDS, (
            f"a version needs at least {MIN_RECORDS_FOR_VERSION} records; this build kept {grown.added}"
        )
    if not generated.kept and any(r.step == "review" for r in generated.rejected):
        return NO_NEW_RECORDS, "the reviewer rejected every record curation kept"
    if generated.kept:
        return ALREADY_IN_DATASET, "every record it kept is already in the dataset (another build added them)"
    stop = generated.stop_reason
    if stop == MAX_REQUESTS:
        cause = f"the request cap (generate.max_requests {config.generate.max_requests}) was reached"
    elif stop == BUDGET_EXHAUSTED:
        cause = "the LLM budget (llm.budget_usd / llm.budget_tokens) ran out"
    else:
        cause = f"it stopped ({stop or 'no reason given'})"
    cause += f" before curation kept any new record ({generated.candidates} candidates"
    if dropped:
        cause += f", {dropped} rejections were duplicates of earlier builds"
    return NO_NEW_RECORDS, cause + ")"


def _base(
    history: History, latest: DatasetVersion | None
) -> tuple[DatasetVersion | None, list[Record], list[Record]]:
    """What to grow: the build's parent, or a newer version a concurrent build published."""
    parent = history.parent
    if latest is None or (parent is not None and latest.path == parent.path):
        return parent, history.train, history.heldout
    return load_version(latest.path)


def publish_build(
    config: BuildConfig,
    build: str,
    history: History,
    generated: SelfInstructResult,
    dropped: int,
    stats: dict[str, Any],
    review: dict[str, Any] | None = None,
) -> Publication:
    """Write the next version and commit the index (under the dataset's publish lock). The
    index also gets the texts of records a reviewer rejected (`review` goes into the manifest),
    so they cannot come back as near-duplicates."""
    folder = datasets_root() / config.name
    folder.mkdir(parents=True, exist_ok=True)
    refused = rejected_by_review(generated.rejected)
    with locked(folder / ".publish.lock"):
        latest = latest_version(config.name)
        if latest is not None and latest.manifest.get("build") == build:
            _, train, heldout = load_version(latest.path)
            added = [r for r in train + heldout if getattr(r.lineage, "build", None) == build]
            commit_index(history.index, build, added + refused, config.curate)
            return Publication(latest, True, latest.manifest.get("growth", {}), added)
        parent, train, heldout = _base(history, latest)
        evaluate = config.evaluate
        grown = grow(
            train,
            heldout,
            list(generated.kept),
            evaluate.heldout_fraction,
            evaluate.min_heldout,
            config.curate,
        )
        growth = growth_numbers(grown, dropped)
        if not grown.added or grown.total < MIN_RECORDS_FOR_VERSION:
            if history.index is not None:
                history.index.abort()
                if refused:
                    commit_index(history.index, build, refused, config.curate)
            code, why = why_nothing(generated, config, dropped, grown)
            unchanged = {"added": 0, "added_train": 0, "added_heldout": 0, "total": len(train) + len(heldout)}
            return Publication(latest, False, {**growth, **unchanged}, [], code, why)
        version = write_version(
            config.name,
            grown.train,
            grown.heldout,
            generated.rejected,
            exports=[*config.exports],
            config=config.model_dump(mode="json"),
            stats=stats,
            lineage={
                **growth_lineage(
                    build, parent.version if parent else None, parent.manifest if parent else None, growth
                ),
                **({"review": review} if review else {}),
            },
        )
        added = grown.added_train + grown.added_heldout
        commit_index(history.index, build, added + refused, config.curate)
        return Publication(version, True, growth, added)
