"""The `review:` section of a build config: whether a build pauses for a human reviewer before
it publishes, for how long, and what happens when nobody answers."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pipeline.settings import StrictModel

OnTimeout = Literal["publish", "fail"]


class ReviewConfig(StrictModel):
    """Human review of a build's records before the version is published (off while `sample`
    is 0). The Prefect flow pauses with a form; `seedforge review` does the same afterwards."""

    sample: int = Field(
        default=0,
        ge=0,
        le=200,
        description="Records a reviewer reads before the build publishes; 0: no review",
    )
    timeout: int = Field(
        default=3600, ge=1, description="Seconds the paused build waits for the reviewer's decisions"
    )
    on_timeout: OnTimeout = Field(
        default="publish",
        description="Nobody answered in time: publish the records unreviewed, or fail the build "
        "(the next run resumes it and asks again)",
    )
    suggest_after: int = Field(
        default=2,
        ge=1,
        description="A rejection reason reviewers gave this many times becomes a suggestion in build "
        "reports (never applied by itself)",
    )
