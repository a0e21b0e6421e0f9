"""The review gate inside a dataset build (no Prefect: the ask function stands in for the UI):
decisions change the version before it is published, stick across builds, and a resumed build
applies them again without asking."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pipeline.errors import SeedforgeError
from pipeline.review.gate import ReviewRequest, ReviewTimedOut
from pipeline.review.models import Decision, RejectReason, Submission, Verdict
from tests.build.conftest import build_config, quiet_build, read_split
from tests.support.fault_server import FaultServer


class Reviewer:
    """Rejects the first two sampled records, edits the third, approves the rest."""

    def __init__(self) -> None:
        self.requests: list[ReviewRequest] = []

    def __call__(self, request: ReviewRequest) -> Submission:
        self.requests.append(request)
        first, second, third = request.ids[:3]
        return Submission(
            reviewer="ann",
            decisions=[
                Decision(id=first, verdict=Verdict.reject, reason=RejectReason.wrong_answer, note="false"),
                Decision(id=second, verdict=Verdict.reject, reason=RejectReason.wrong_answer, note="no"),
                Decision(id=third, verdict=Verdict.edit, output="A corrected answer.", note="fixed"),
            ],
            approve_rest=True,
        )


def reviewed_config(base_url: str, **review: Any) -> Any:
    from pipeline.review.config import ReviewConfig

    config = build_config(base_url, name="reviewed")
    config.review = ReviewConfig(sample=5, **review)
    return config


def all_rows(version: Path) -> list[dict[str, Any]]:
    return read_split(version, "train") + read_split(version, "heldout")


def test_the_decisions_shape_the_version_and_stick(server: FaultServer, data_dir: Path) -> None:
    from pipeline.build.history import open_build_index
    from pipeline.curate.curator import Curator
    from pipeline.records import record_from_dict

    config = reviewed_config(server.base_url)
    reviewer = Reviewer()
    first = quiet_build(config, review_fn=reviewer)
    request = reviewer.requests[0]
    rejected_ids, edited_id, approved = request.ids[:2], request.ids[2], request.ids[3:]
    sampled = {item.record.id: item.record for item in request.sample}

    version = first.publication.version.path
    rows = {row["id"]: row for row in all_rows(version)}
    assert not set(rejected_ids) & set(rows) and edited_id not in rows
    refused = [json.loads(line) for line in (version / "rejected.jsonl").read_text().splitlines()]
    human = [r for r in refused if r["reason"] == "human_rejected"]
    assert sorted(r["record"]["id"] for r in human) == sorted(rejected_ids)
    assert {r["step"] for r in human} == {"review"}
    assert {r["evidence"]["review_reason"] for r in human} == {"wrong_answer"}
    assert {r["evidence"]["note"] for r in human} == {"false", "no"}
    edited = [row for row in rows.values() if row["lineage"].get("edit")]
    assert len(edited) == 1 and edited[0]["output"] == "A corrected answer."
    edit = edited[0]["lineage"]["edit"]
    assert edit["original_id"] == edited_id and edit["reviewer"] == "ann" and edit["note"] == "fixed"
    assert edit["original_output"] == sampled[edited_id].output
    assert set(approved) <= set(rows)

    manifest = json.loads((version / "manifest.json").read_text())
    review = manifest["review"]
    assert review["reviewer"] == "ann" and review["decided_at"] and review["source"] == "cli"
    assert [s["id"] for s in review["sampled"]] == request.ids
    assert sorted(r["id"] for r in review["rejected"]) == sorted(rejected_ids)
    assert review["edited"] == [{"id": edited_id, "new_id": edited[0]["id"], "note": "fixed"}]
    assert sorted(review["accepted"]) == sorted(approved) and review["undecided"] == []
    assert manifest["counts"]["rejected_by_reason"]["human_rejected"] == 2
    stats = review["stats"]
    assert (stats["sampled"], stats["accepted"], stats["rejected"], stats["edited"]) == (5, 2, 2, 1)
    assert stats["defect_rate"] == 0.6 and stats["remainder"] == len(rows) - 3
    low, high = stats["defect_rate_interval"]
    assert 0.2 < low < 0.6 < high < 0.95
    report = (version / "report.md").read_text()
    assert "## Human review" in report and "| rejected: wrong_answer | 2 |" in report
    assert "Wilson interval" in report and f"{stats['remainder']} unreviewed records" in report

    # the rejected texts are in the curation index: the very records cannot come back
    curator = Curator(config.curate, index=open_build_index(config))
    for rid in rejected_ids:
        rejection = curator.consider_one(sampled[rid])
        assert rejection is not None and rejection.evidence.get("partner_id") == rid, rejection

    # the next build asks about none of them and says what the recurring reason suggests
    second = quiet_build(config, review_fn=reviewer)
    asked_again = set(reviewer.requests[1].ids) & (set(request.ids) | {edited[0]["id"]})
    assert not asked_again
    assert second.publication.version.version == 2
    texts = {record_from_dict(row).prompt_text for row in all_rows(second.publication.version.path)}
    assert not texts & {sampled[rid].prompt_text for rid in rejected_ids}
    report = Path(second.summary["report"]).read_text()
    assert "## Suggestions from human review" in report and "rejected as wrong_answer" in report


def test_a_resumed_build_applies_its_decisions_again_without_asking(
    server: FaultServer, data_dir: Path
) -> None:
    from pipeline.build.publish import publish_build

    config = reviewed_config(server.base_url)
    reviewer = Reviewer()

    def failing_publish(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        quiet_build(config, review_fn=reviewer, publish_fn=failing_publish)
    assert len(reviewer.requests) == 1

    def no_second_question(request: ReviewRequest) -> Submission:
        raise AssertionError("a resumed build asked again")

    resumed = quiet_build(config, review_fn=no_second_question, publish_fn=publish_build)
    assert resumed.claim.resumed and resumed.review.resumed
    review = resumed.publication.version.manifest["review"]
    assert sorted(r["id"] for r in review["rejected"]) == sorted(reviewer.requests[0].ids[:2])
    edited = [r for r in all_rows(resumed.publication.version.path) if r["lineage"].get("edit")]
    assert len(edited) == 1


def test_timeouts_publish_unreviewed_or_fail(server: FaultServer, data_dir: Path) -> None:
    config = reviewed_config(server.base_url)
    published = quiet_build(config, review_fn=lambda request: None)
    assert published.review.status == "timed_out"
    assert published.publication.version.manifest["review"]["status"] == "timed_out"
    assert published.summary["review"]["status"] == "timed_out"

    failing = reviewed_config(server.base_url, on_timeout="fail")
    with pytest.raises(ReviewTimedOut, match="nothing published; the next run resumes"):
        quiet_build(failing, review_fn=lambda request: None)
    assert published.publication.version.version == 1
    assert not (data_dir / "datasets" / "reviewed" / "v0002").exists()
    # the next run resumes that build and asks again
    resumed = quiet_build(failing, review_fn=Reviewer())
    assert resumed.claim.resumed and resumed.review.status == "reviewed"


def test_no_reviewer_and_review_off(server: FaultServer, data_dir: Path) -> None:
    config = reviewed_config(server.base_url)
    unasked = quiet_build(config)
    assert unasked.review.status == "no_reviewer" and "seedforge review reviewed" in unasked.review.message
    assert "review" not in unasked.publication.version.manifest
    config.review.sample = 0
    off = quiet_build(config, review_fn=Reviewer())
    assert off.review.status == "off"


def test_a_bad_submission_is_refused_and_nothing_applied(server: FaultServer, data_dir: Path) -> None:
    config = reviewed_config(server.base_url)

    def unknown(request: ReviewRequest) -> Submission:
        return Submission(reviewer="x", decisions=[Decision(id="not-a-record", verdict=Verdict.accept)])

    with pytest.raises(SeedforgeError, match="not-a-record: no such record in this review"):
        quiet_build(config, review_fn=unknown)
    assert not (data_dir / "datasets" / "reviewed" / "v0001").exists()
    assert not (data_dir / "review" / "reviewed" / "sessions").exists()


def test_a_build_whose_records_were_all_rejected_publishes_nothing_but_remembers_them(
    server: FaultServer, data_dir: Path
) -> None:
    from pipeline.build.history import open_build_index

    config = reviewed_config(server.base_url)
    config.review.sample = 50

    def reject_all(request: ReviewRequest) -> Submission:
        reason = RejectReason.bad_instruction
        return Submission(
            reviewer="ann",
            decisions=[Decision(id=rid, verdict=Verdict.reject, reason=reason) for rid in request.ids],
        )

    built = quiet_build(config, review_fn=reject_all)
    assert built.publication.version is None and built.publication.nothing_added == "no_new_records"
    assert built.publication.why == "the reviewer rejected every record curation kept"
    index = open_build_index(config)
    assert {entry.id for entry in index.entries()} == set(built.review.session.rejected_texts)
