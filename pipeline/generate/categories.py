"""Task categories of records: the default list (BELLE's), and where a record's category came
from.

Names are stored in the canonical form of `pipeline.evaluate.rubrics.canonical_category`
("Open QA", "open-qa" and "openqa" are all `open_qa`; BELLE's "extraction" is `extract`), so a
record's category, an eval item's category and the judge's rubric always agree.
"""

from __future__ import annotations

from typing import Literal

from pipeline.evaluate.rubrics import canonical_category

# BELLE's categories, in its order; "other" catches what fits none of them.
BELLE_CATEGORIES: tuple[str, ...] = (
    "open_qa",
    "closed_qa",
    "brainstorming",
    "classification",
    "extract",
    "generation",
    "rewrite",
    "summarization",
    "translation",
    "math",
    "code",
    "other",
)

OTHER = "other"

# seed: the seed task (or the one category of all seeds its prompt showed) named it;
# classifier: the categorisation LLM step assigned it; kb: the knowledge-base entry named it;
# default: a stage that only makes one kind of task set it (dialogues are open QA).
CategorySource = Literal["seed", "classifier", "kb", "default"]


def canonical_categories(names: list[str] | tuple[str, ...]) -> list[str]:
    """Canonical, de-duplicated, in the given order."""
    seen: dict[str, None] = {}
    for name in names:
        seen.setdefault(canonical_category(name), None)
    return list(seen)
