"""A finished dataset build: which build it was, what it generated and what it published."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pipeline.build.publish import Publication
from pipeline.config import BuildConfig
from pipeline.dataset.builds import ClaimedBuild
from pipeline.generate.self_instruct.loop import SelfInstructResult
from pipeline.review.gate import ReviewOutcome


@dataclass
class DatasetBuild:
    """A finished build: which one, what it generated, what it published."""

    config: BuildConfig
    claim: ClaimedBuild
    generated: SelfInstructResult
    publication: Publication
    stats: dict[str, Any] = field(default_factory=dict)  # the generation stats (manifest, report)
    seconds: float = 0.0
    summary: dict[str, Any] = field(default_factory=dict)  # pipeline.build.summary.summarize
    review: ReviewOutcome | None = None  # the human review before publishing (pipeline.review)

    @property
    def id(self) -> str:
        return self.claim.id
