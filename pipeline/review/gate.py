"""The review step of a dataset build, between curation and publishing.

`review_build` samples the build's kept records, hands the sample to `ask` (the flow pauses
for the Prefect UI; nothing here imports Prefect) and applies what comes back to the build's
result before the version is written. A build resumed after a crash finds its stored session
and applies it again without asking: the same decisions, the same version. `ask` returns None
when nobody answered in time: `review.on_timeout` then publishes the records unreviewed, or
fails the build (which the next run resumes, asking again)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pipeline.errors import SeedforgeError
from pipeline.records import Record
from pipeline.review.config import ReviewConfig
from pipeline.review.decisions import apply_session, check_submission, settled
from pipeline.review.models import ReviewSession, SampledRecord, Submission
from pipeline.review.sampling import Sampled, sample_for_review
from pipeline.review.stats import ReviewStats, session_stats, unreviewed_count
from pipeline.review.store import ReviewStore
from pipeline.stage import StageResult

# outcomes
OFF, NO_REVIEWER, NOTHING_TO_REVIEW, REVIEWED, TIMED_OUT = (
    "off",
    "no_reviewer",
    "nothing_to_review",
    "reviewed",
    "timed_out",
)


class ReviewTimedOut(SeedforgeError):
    """Nobody reviewed the build in time and `review.on_timeout` is `fail`."""


@dataclass
class ReviewRequest:
    """What a reviewer is asked: a build's sample, and the check a submission must pass."""

    dataset: str
    build: str
    sample: list[Sampled]
    config: ReviewConfig
    reviewed: set[str] = field(default_factory=set)

    @property
    def ids(self) -> list[str]:
        return [item.record.id for item in self.sample]

    def records(self) -> dict[str, Record]:
        return {item.record.id: item.record for item in self.sample}

    def check(self, submission: Submission) -> None:
        """Raises SeedforgeError naming every problem; a caller may ask again with it."""
        check_submission(
            submission, self.records(), reviewed=self.reviewed, where=f"review of build {self.build}"
        )


AskFn = Callable[[ReviewRequest], Submission | None]


@dataclass
class ReviewOutcome:
    status: str
    session: ReviewSession | None = None
    stats: ReviewStats | None = None
    message: str = ""
    resumed: bool = False  # a stored session applied again

    def manifest(self) -> dict[str, Any] | None:
        """The manifest's `review` field: who reviewed what and when, with the counts."""
        if self.session is None:
            return None
        return {**self.session.manifest(), "stats": self.stats.as_dict() if self.stats else None}

    def summary(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "message": self.message,
            "session": self.session.id if self.session else None,
            "reviewer": self.session.reviewer if self.session else None,
            "stats": self.stats.as_dict() if self.stats else None,
        }


def build_session_id(build: str) -> str:
    return f"build-{build}"


def sampled_records(sample: list[Sampled]) -> list[SampledRecord]:
    return [SampledRecord(id=s.record.id, category=s.category, risk=s.risk, score=s.score) for s in sample]


def new_session(
    submission: Submission, sample: list[Sampled], *, session_id: str, dataset: str, **where: Any
) -> ReviewSession:
    ids = [item.record.id for item in sample]
    return ReviewSession(
        id=session_id,
        dataset=dataset,
        reviewer=submission.reviewer,
        source=submission.source,
        where=submission.where,
        approve_rest=submission.approve_rest,
        sampled=sampled_records(sample),
        decisions=settled(submission, ids),
        **where,
    )


def _apply(result: StageResult[Any], session: ReviewSession, store: ReviewStore | None) -> ReviewStats:
    """The session's effects on the build's result; `store` records the session first (and
    refuses one applied before)."""
    applied = apply_session(list(result.kept), session)
    if store is not None:
        store.record(session)
    result.kept = applied.kept
    result.rejected.extend(applied.rejected)
    return session_stats(session, unreviewed_count(applied.kept, session))


def review_build(
    dataset: str,
    build: str,
    result: StageResult[Any],
    config: ReviewConfig,
    ask: AskFn | None,
    store: ReviewStore | None = None,
) -> ReviewOutcome:
    """Review the build's kept records (changing `result` in place) and say how it went."""
    store = store or ReviewStore(dataset)
    session_id = build_session_id(build)
    stored = store.get(session_id)
    if stored is not None:  # a resumed build: the decisions made before, applied again
        if stored.status == TIMED_OUT:
            return ReviewOutcome(
                TIMED_OUT, stored, message="nobody reviewed this build in time", resumed=True
            )
        return ReviewOutcome(REVIEWED, stored, _apply(result, stored, None), "applied again", resumed=True)
    if config.sample == 0:
        return ReviewOutcome(OFF)
    reviewed = store.reviewed_ids()
    sample = sample_for_review(result.kept, config.sample, skip=reviewed, seed=build)
    if not sample:
        return ReviewOutcome(NOTHING_TO_REVIEW, message="no record of this build is left to review")
    if ask is None:
        return ReviewOutcome(
            NO_REVIEWER, message=f"nobody to ask here; review it later with `seedforge review {dataset}`"
        )
    request = ReviewRequest(dataset, build, sample, config, reviewed)
    submission = ask(request)
    if submission is None:
        waited = f"nobody reviewed build {build} within {config.timeout} s"
        if config.on_timeout == "fail":
            raise ReviewTimedOut(
                f"{waited} (review.on_timeout: fail): nothing published; the next run resumes "
                "the build and asks again"
            )
        session = ReviewSession(
            id=session_id, dataset=dataset, build=build, status="timed_out", sampled=sampled_records(sample)
        )
        store.record(session)
        return ReviewOutcome(TIMED_OUT, session, message=f"{waited}: published unreviewed")
    request.check(submission)
    session = new_session(submission, sample, session_id=session_id, dataset=dataset, build=build)
    stats = _apply(result, session, store)
    done = f"{stats.accepted} accepted, {stats.rejected} rejected, {stats.edited} edited"
    return ReviewOutcome(REVIEWED, session, stats, done)
