"""What a review tells about the records nobody read, and what recurring rejections suggest.

The defect rate is the share of decided records a reviewer rejected or had to correct. Its 95%
Wilson interval carries over to the unreviewed rest as an estimate of how many defects it
holds. The sample prefers risky records (lowest quality score first), so where scores exist
the estimate leans high: read it as an upper-leaning bound, not a point forecast.

A rejection reason reviewers gave at least `suggest_after` times becomes a suggestion: a
phrase the rejected instructions share, to blacklist, or the setting that addresses the
reason. Suggestions go into reports only; nothing changes a config by itself."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Set
from dataclasses import asdict, dataclass, field
from typing import Any

from pipeline.evaluate.metrics import wilson_interval
from pipeline.records import Record
from pipeline.review.models import RejectReason, ReviewSession, Verdict
from pipeline.text import CJK_CHARACTER, tokenize


@dataclass
class ReviewStats:
    sampled: int = 0
    accepted: int = 0
    rejected: int = 0
    edited: int = 0
    undecided: int = 0
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    remainder: int = 0  # records no review has read (this build's, or the version's)

    @property
    def decided(self) -> int:
        return self.accepted + self.rejected + self.edited

    @property
    def defects(self) -> int:
        return self.rejected + self.edited

    def as_dict(self) -> dict[str, Any]:
        low, high = wilson_interval(self.defects, self.decided)
        rate = round(self.defects / self.decided, 4) if self.decided else None
        return {
            **asdict(self),
            "decided": self.decided,
            "defects": self.defects,
            "defect_rate": rate,
            "defect_rate_interval": [low, high] if self.decided else None,
            "remainder_defects_interval": (
                [round(low * self.remainder, 1), round(high * self.remainder, 1)] if self.decided else None
            ),
        }


def unreviewed_count(
    records: Iterable[Record], session: ReviewSession, reviewed_before: Set[str] = frozenset()
) -> int:
    """How many of `records` no review has read: neither sampled by `session` (its undecided
    records are counted as undecided, never twice) nor settled by it or by an earlier one."""
    read = session.shown_ids() | reviewed_before
    return sum(1 for record in records if record.id not in read)


def session_stats(session: ReviewSession, remainder: int) -> ReviewStats:
    decided = {d.id for d in session.decisions}
    reasons = Counter(d.reason.value for d in session.by_verdict(Verdict.reject))
    return ReviewStats(
        sampled=len(session.sampled),
        accepted=len(session.by_verdict(Verdict.accept)),
        rejected=sum(reasons.values()),
        edited=len(session.by_verdict(Verdict.edit)),
        undecided=sum(1 for item in session.sampled if item.id not in decided),
        rejected_by_reason=dict(reasons.most_common()),
        remainder=remainder,
    )


# what addresses a reason when the rejected instructions share no phrase
ADVICE: dict[str, str] = {
    RejectReason.wrong_answer: "score each record (score.enabled, score.min_score) or use a stronger model",
    RejectReason.unhelpful: "score each record (score.enabled) so vague answers fall under score.min_score",
    RejectReason.bad_instruction: "keep curate.structure.task_form and curate.structure.fragments on; "
    "raise curate.filters.min_words",
    RejectReason.mismatch: "keep curate.structure.role_confusion and curate.structure.answer_type on",
    RejectReason.formatting: "keep curate.structure.markup_debris and curate.structure.cut_output on; "
    "raise llm.max_tokens when outputs are cut",
    RejectReason.unsafe: "drop records with private data (curate.pii.action: drop) and blacklist the topic",
    RejectReason.duplicate: "lower curate.rouge_threshold or curate.minhash.threshold",
    RejectReason.other: "read the reviewers' notes in rejected.jsonl",
}
STOPWORDS = frozenset(
    "a an the of to in on for and or with about from by as at is are be this that these those "
    "it its your you me my what which how why when who give write make".split()
)


@dataclass
class Suggestion:
    reason: str
    count: int  # rejections with this reason, in every session so far
    phrase: str | None  # shared by at least `suggest_after` rejected instructions
    setting: str
    text: str


def _phrases(text: str) -> set[str]:
    tokens = tokenize(text)
    found: set[str] = set()
    for size in (1, 2, 3):
        for start in range(len(tokens) - size + 1):
            gram = tokens[start : start + size]
            if all(
                token in STOPWORDS or (len(token) < 3 and not CJK_CHARACTER.match(token)) for token in gram
            ):
                continue
            if size == 1 and CJK_CHARACTER.match(gram[0]):
                continue  # one Chinese character is too little to blacklist
            joiner = "" if all(CJK_CHARACTER.match(token) for token in gram) else " "
            found.add(joiner.join(gram))
    return found


def shared_phrase(texts: list[str], minimum: int) -> str | None:
    """The phrase (1-3 words, or 2-3 Chinese characters) most of `texts` contain, at least
    `minimum` of them; longer phrases win ties."""
    counts = Counter(phrase for text in texts for phrase in _phrases(text))
    ranked = sorted(counts.items(), key=lambda item: (-item[1], -len(item[0]), item[0]))
    return next((phrase for phrase, n in ranked if n >= minimum), None)


def suggestions(sessions: list[ReviewSession], suggest_after: int) -> list[Suggestion]:
    texts: dict[str, list[str]] = {}
    for session in sessions:
        for decision in session.by_verdict(Verdict.reject):
            text = session.rejected_texts.get(decision.id, "")
            texts.setdefault(decision.reason.value, []).append(text)
    found = []
    for reason, items in sorted(texts.items(), key=lambda item: (-len(item[1]), item[0])):
        if len(items) < suggest_after:
            continue
        phrase = shared_phrase([t for t in items if t], suggest_after)
        if phrase is not None:
            setting = (
                "curate.filters.zh_blacklist" if CJK_CHARACTER.search(phrase) else "curate.filters.blacklist"
            )
            text = (
                f"{len(items)} records rejected as {reason} share {phrase!r}: consider adding it to {setting}"
            )
        else:
            setting = "see advice"
            text = (
                f"{len(items)} records rejected as {reason}: {ADVICE.get(reason, ADVICE[RejectReason.other])}"
            )
        found.append(Suggestion(reason, len(items), phrase, setting, text))
    return found
