"""Task categories and the judge's rubric for each.

Category names arrive spelled every which way ("open qa", "open QA", "Open_QA", "openqa"):
BELLE's own judge page indexes its prompts by the raw name and fails on the items whose
spelling differs. Here names are folded to one canonical form, and a name that matches no
rubric is graded with the general rubric — never an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

GENERAL = "general"


@dataclass(frozen=True)
class Rubric:
    category: str
    criteria: str
    # Open-ended tasks have many good answers: showing the judge one reference answer makes it
    # reward resemblance instead of quality, so the reference is withheld.
    open_ended: bool


RUBRICS: dict[str, Rubric] = {
    r.category: r
    for r in (
        Rubric(
            "math",
            "The final result must equal the reference's final result; the steps may "
            "differ from the reference but must be correct.",
            False,
        ),
        Rubric(
            "code",
            "The code must solve the stated problem and run; it may differ from the "
            "reference, which is only a guide.",
            False,
        ),
        Rubric(
            "classification",
            "The labels or groups must match the reference; explanations must not contradict them.",
            False,
        ),
        Rubric(
            "extract",
            "The extracted content must come from the given context and answer the "
            "request; compare with the reference.",
            False,
        ),
        Rubric(
            "closed_qa",
            "The answer must agree with the reference and rely only on the "
            "information given in the question or input.",
            False,
        ),
        Rubric(
            "open_qa",
            "The answer must be factually correct and address the question; the "
            "reference shows one correct answer.",
            False,
        ),
        Rubric(
            "translation",
            "The translation must keep the source meaning and read fluently in "
            "the target language; compare with the reference.",
            False,
        ),
        Rubric(
            "summarization",
            "The summary must contain the key points of the input and nothing "
            "that is not in it; compare with the reference.",
            False,
        ),
        Rubric(
            "rewrite",
            "The rewrite must carry out the requested change while keeping the meaning of the original text.",
            True,
        ),
        Rubric(
            "generation",
            "The text must be fluent, do what the instruction asks, and be truthful and harmless.",
            True,
        ),
        Rubric(
            "brainstorming", "The ideas must be relevant, useful and varied, and truthful and harmless.", True
        ),
        Rubric(
            GENERAL,
            "The answer must follow the instruction, be correct, complete and "
            "concise. A reference answer, when shown, is one acceptable answer, not the only "
            "one.",
            False,
        ),
    )
}

_ALIASES = {
    "openqa": "open_qa",
    "open question answering": "open_qa",
    "qa": "open_qa",
    "closedqa": "closed_qa",
    "closed question answering": "closed_qa",
    "extraction": "extract",
    "information extraction": "extract",
    "summary": "summarization",
    "summarisation": "summarization",
    "summarize": "summarization",
    "translate": "translation",
    "brainstorm": "brainstorming",
    "creative writing": "generation",
    "writing": "generation",
    "generate": "generation",
    "rewriting": "rewrite",
    "paraphrase": "rewrite",
    "classify": "classification",
    "mathematics": "math",
    "maths": "math",
    "coding": "code",
    "programming": "code",
}


def canonical_category(raw: str | None) -> str:
    """Fold case, separators and known aliases; an unknown name is kept (cleaned) so the
    report can still group by it, and `rubric_for` grades it with the general rubric."""
    if not raw or not raw.strip():
        return GENERAL
    spaced = re.sub(r"[\s_\-/]+", " ", raw.strip().casefold())
    underscored = spaced.replace(" ", "_")
    if underscored in RUBRICS:
        return underscored
    return _ALIASES.get(spaced) or _ALIASES.get(spaced.replace(" ", "")) or underscored


def rubric_for(category: str) -> Rubric:
    return RUBRICS.get(canonical_category(category), RUBRICS[GENERAL])
