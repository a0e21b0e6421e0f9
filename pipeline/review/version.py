"""Reviewing a published version (`seedforge review`): the same sample and decisions as the
build's gate, applied as a new version on top of the dataset's latest.

Versions never change once written, so the decisions become the next version: rejected records
move from their split to rejected.jsonl (step `review`, reason `human_rejected`), edited ones
are replaced where they stand, and the manifest's `review` says who decided what and when
(`parent` is the version it was applied to). A decision file names the dataset and version it
was written for; a file for another version, a record the version does not hold, or a record
reviewed before is refused before anything is written. The session is stored as `applying`
before the version is written and `applied` after, so the same decisions never land twice."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pipeline.dataset.builds import locked
from pipeline.dataset.versions import (
    REJECTED,
    DatasetVersion,
    datasets_root,
    latest_version,
    load_version,
    resolve_version,
    write_version,
)
from pipeline.errors import SeedforgeError
from pipeline.records import Record, RejectedRecord, content_hash
from pipeline.review.decisions import Applied, apply_session, check_submission
from pipeline.review.gate import new_session
from pipeline.review.models import Decision, ReviewerName, ReviewSession, Submission, Verdict
from pipeline.review.sampling import Sampled, sample_for_review
from pipeline.review.stats import ReviewStats, session_stats, unreviewed_count
from pipeline.review.store import ReviewStore
from pipeline.yaml_input import read_yaml_mapping, validate_yaml


class DecisionFile(BaseModel):
    """A reviewer's decisions written down (YAML or JSON), for one version of one dataset."""

    model_config = ConfigDict(extra="forbid")

    dataset: str
    version: int = Field(ge=1)
    reviewer: ReviewerName
    approve_rest: bool = False
    decisions: list[Decision] = Field(default_factory=list)

    @field_validator("version", mode="before")
    @classmethod
    def _version_as_on_the_command_line(cls, value: Any) -> Any:
        # NAME@v2 on the command line: the same "v2" in the file means version 2
        if isinstance(value, str) and (spelled := re.fullmatch(r"\s*[vV](\d+)\s*", value)):
            return int(spelled.group(1))
        return value


@dataclass
class VersionReview:
    """A version opened for review: its records, the sample, what was reviewed before."""

    version: DatasetVersion
    records: list[Record]
    sample: list[Sampled]
    store: ReviewStore
    reviewed: set[str] = field(default_factory=set)

    @property
    def label(self) -> str:
        return f"{self.version.dataset}@v{self.version.version}"


def open_review(spec: str, size: int) -> VersionReview:
    """The version `spec` names (NAME, NAME@vN or a directory) and a sample of `size` of its
    records nobody has reviewed."""
    version, train, heldout = load_version(resolve_version(spec))
    store = ReviewStore(version.dataset)
    reviewed = store.reviewed_ids()
    sample = sample_for_review(
        train + heldout, size, skip=reviewed, seed=f"{version.dataset}@v{version.version}"
    )
    return VersionReview(version, train + heldout, sample, store, reviewed)


def read_decision_file(path: Path, review: VersionReview) -> Submission:
    """The file's decisions, refused unless written for this very version."""
    if not path.is_file():
        raise SeedforgeError("decision file not found", path=path)
    data, text = read_yaml_mapping(path, contents="a decision file (dataset, version, reviewer, decisions)")
    written = validate_yaml(DecisionFile, data, text, path)
    if (written.dataset, written.version) != (review.version.dataset, review.version.version):
        raise SeedforgeError(
            f"written for {written.dataset}@v{written.version}, not {review.label}: refused, nothing applied",
            path=path,
        )
    return Submission(
        reviewer=written.reviewer,
        decisions=written.decisions,
        approve_rest=written.approve_rest,
        source="file",
        where=str(path.resolve()),
    )


def session_id_for(review: VersionReview, submission: Submission) -> str:
    """The same decisions about the same version are the same session: applying a decision
    file twice is refused as a session applied already."""
    decisions = json.dumps(submission.model_dump(mode="json", exclude={"where"}), sort_keys=True)
    return f"v{review.version.version:04d}-{content_hash(review.label, decisions, length=12)}"


@dataclass
class VersionReviewResult:
    session: ReviewSession
    version: DatasetVersion  # the version holding the decisions' effects
    new: bool  # False when nothing changed (every decision an accept)
    stats: ReviewStats
    to_index: list[Record]  # rejected and edited records, for the curation index


def _read_rejected(path: Path) -> list[RejectedRecord]:
    if not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [RejectedRecord.model_validate_json(line) for line in lines if line.strip()]


def apply_to_dataset(review: VersionReview, submission: Submission) -> VersionReviewResult:
    """Check `submission` against the version and the store, then write the next version with
    its effects (under the dataset's publish lock, onto the latest version)."""
    dataset = review.version.dataset
    session_id = session_id_for(review, submission)
    stored = review.store.get(session_id)
    if stored is not None and stored.status != "applying":
        raise SeedforgeError(
            f"these decisions were applied already (review {session_id} by {stored.reviewer} at "
            f"{stored.decided_at}, version v{stored.result_version}); nothing applied twice",
            path=review.store.folder,
        )
    settled = {rid for rid, sid in review.store.reviewed().items() if sid != session_id}
    records = {r.id: r for r in review.records}
    check_submission(submission, records, reviewed=settled, where=f"review of {review.label}")
    session = new_session(
        submission,
        review.sample,
        session_id=session_id,
        dataset=dataset,
        version=review.version.version,
        status="applying",
    )
    if not session.decisions:
        raise SeedforgeError(f"no decision about any record of {review.label}: nothing to apply")
    with locked(datasets_root() / dataset / ".publish.lock"):
        latest = latest_version(dataset)
        assert latest is not None  # the reviewed version itself is there
        _, train, heldout = load_version(latest.path)
        present = {r.id for r in train + heldout}
        gone = [d.id for d in session.decisions if d.id not in present]
        if gone:
            raise SeedforgeError(
                f"{len(gone)} record(s) are no longer in the latest version v{latest.version} "
                f"(removed by another review): {', '.join(gone[:5])}; nothing applied",
                path=latest.path,
            )
        kept_train, kept_heldout = apply_session(train, session), apply_session(heldout, session)
        remainder = unreviewed_count(kept_train.kept + kept_heldout.kept, session, settled)
        stats = session_stats(session, remainder)
        review.store.record(session)  # refuses a record another reviewer settled meanwhile
        try:
            version = _write(latest, kept_train, kept_heldout, session, stats)
        except BaseException:
            review.store.forget(session.id)
            raise
    session.status, session.result_version = "applied", version.version
    review.store.save(session)
    rejected = {d.id for d in session.by_verdict(Verdict.reject)}
    to_index = kept_train.edited + kept_heldout.edited + [records[rid] for rid in rejected]
    return VersionReviewResult(session, version, version.version != latest.version, stats, to_index)


def _write(
    latest: DatasetVersion, train: Applied, heldout: Applied, session: ReviewSession, stats: ReviewStats
) -> DatasetVersion:
    manifest = latest.manifest
    config: dict[str, Any] = manifest.get("config") or {}
    exports = config.get("exports") or list(manifest.get("exports") or {})
    review = {**session.manifest(), "reviewed_version": session.version, "stats": stats.as_dict()}
    return write_version(
        latest.dataset,
        train.kept,
        heldout.kept,
        _read_rejected(latest.path / REJECTED) + train.rejected + heldout.rejected,
        config=config,
        stats=manifest.get("stats") or {},
        exports=exports,
        lineage={
            "parent": latest.version,
            "build": None,
            "builds": manifest.get("builds") or [],
            "review": review,
        },
    )
