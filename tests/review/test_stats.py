"""Review statistics (defect rate of the unreviewed rest, Wilson interval) and suggestions from
rejection reasons that recur."""

from __future__ import annotations

from pipeline.records import AlpacaRecord, Lineage
from pipeline.review.models import Decision, RejectReason, ReviewSession, SampledRecord, Verdict
from pipeline.review.report import review_section
from pipeline.review.stats import session_stats, shared_phrase, suggestions, unreviewed_count


def rejected(sid: str, texts: dict[str, str], reason: RejectReason) -> ReviewSession:
    return ReviewSession(
        id=sid,
        dataset="d",
        decisions=[Decision(id=rid, verdict=Verdict.reject, reason=reason) for rid in texts],
        rejected_texts=texts,
    )


def test_the_defect_rate_carries_over_to_the_unreviewed_rest() -> None:
    session = ReviewSession(
        id="s",
        dataset="d",
        sampled=[SampledRecord(id=str(n), category="qa", risk="unscored") for n in range(6)],
        decisions=[
            Decision(id="0", verdict=Verdict.reject, reason=RejectReason.unsafe),
            Decision(id="1", verdict=Verdict.edit, output="x"),
            Decision(id="2", verdict=Verdict.accept),
            Decision(id="3", verdict=Verdict.accept),
        ],
    )
    stats = session_stats(session, remainder=100).as_dict()
    assert (stats["decided"], stats["defects"], stats["undecided"]) == (4, 2, 2)
    assert stats["defect_rate"] == 0.5 and stats["rejected_by_reason"] == {"unsafe": 1}
    low, high = stats["defect_rate_interval"]
    assert (low, high) == (0.15, 0.85)  # Wilson 2/4, rounded
    assert stats["remainder_defects_interval"] == [15.0, 85.0]
    text = review_section({"status": "reviewed", "reviewer": "ann", "message": "", "stats": stats}, [])
    assert "| rejected: unsafe | 1 |" in text and "50%, 95% Wilson interval 15%–85%" in text
    assert "among the 100 unreviewed records: 15–85" in text
    assert session_stats(ReviewSession(id="e", dataset="d"), 3).as_dict()["defect_rate"] is None


def test_a_recurring_reason_becomes_a_suggestion_with_the_phrase_it_shares() -> None:
    sessions = [
        rejected("a", {"1": "Draw a picture of a cat.", "2": "Write a haiku."}, RejectReason.bad_instruction),
        rejected("b", {"3": "Draw a picture of the sea."}, RejectReason.bad_instruction),
        rejected("c", {"4": "Add 2 and 3."}, RejectReason.wrong_answer),
    ]
    (hint,) = suggestions(sessions, suggest_after=2)
    assert (hint.reason, hint.count, hint.phrase) == ("bad_instruction", 3, "draw a picture")
    assert hint.setting == "curate.filters.blacklist" and "consider adding it" in hint.text
    assert len(suggestions(sessions, suggest_after=1)) == 2
    assert suggestions(sessions, suggest_after=4) == []
    text = review_section(None, [hint])
    assert "## Suggestions from human review" in text and "Nothing here is applied by itself" in text


def test_without_a_shared_phrase_the_suggestion_names_the_setting() -> None:
    sessions = [rejected("a", {"1": "Add 2 and 3.", "2": "Name a river."}, RejectReason.wrong_answer)]
    (hint,) = suggestions(sessions, suggest_after=2)
    assert hint.phrase is None and "score.enabled" in hint.text


def test_chinese_phrases_are_characters_and_go_to_the_chinese_blacklist() -> None:
    phrase = shared_phrase(["写一首关于大海的诗", "写一首关于春天的诗"], 2)
    assert phrase is not None and len(phrase) == 3 and phrase in "写一首关于"
    sessions = [rejected("z", {"1": "画一幅春天的画", "2": "画一幅大海的画"}, RejectReason.bad_instruction)]
    (hint,) = suggestions(sessions, suggest_after=2)
    assert hint.phrase in "画一幅" and hint.setting == "curate.filters.zh_blacklist"


def test_the_unreviewed_rest_leaves_out_every_sampled_record() -> None:
    records = [
        AlpacaRecord(instruction=f"Add {n} and 1.", output=str(n + 1), lineage=Lineage(generator="t"))
        for n in range(6)
    ]
    ids = [record.id for record in records]
    session = ReviewSession(
        id="s",
        dataset="d",
        sampled=[SampledRecord(id=rid, category="qa", risk="unscored") for rid in ids[:3]],
        decisions=[Decision(id=ids[0], verdict=Verdict.accept)],  # two sampled ones undecided
    )
    assert unreviewed_count(records, session) == 3
    assert unreviewed_count(records, session, reviewed_before={ids[5]}) == 2
