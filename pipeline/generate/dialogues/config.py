"""The dialogue stage's settings: the `dialogues` section of the KB flow's form and what the
CLI options fill in."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pipeline.settings import StrictModel


class DialogueConfig(StrictModel):
    turns: Literal[1, 3] = Field(default=1, description="1: Alpaca records; 3: `messages` records")
    target: int = Field(default=40, ge=1, description="Grounded dialogues wanted")
    max_attempts_per_entry: int = Field(default=3, ge=1)
    max_dialogues: int | None = Field(default=None, ge=1, description="Attempt cap (default 3 × target)")
    regenerate: bool = Field(default=False, description="All active entries, not only new/changed ones")
    rouge_threshold: float = Field(
        default=0.7,
        ge=0,
        le=1,
        description="Near-duplicate dialogues (ROUGE-L of the whole conversation above this) are dropped",
    )
    output_checks: bool = Field(
        default=True,
        description="Curation's answer checks on every answer: empty, echo, refusal, "
        "AI self-reference, template leftovers, other language, cut off",
    )
    structure_checks: bool = Field(
        default=True,
        description="Curation's structural checks for chat turns: prompt leakage, markup debris, "
        "role confusion, answers cut short",
    )
    pii: bool = Field(
        default=True,
        description="Redact e-mails, phone, ID, card and IP numbers in every message ([EMAIL], [PHONE], …)",
    )

    @property
    def kind(self) -> str:
        """Dialogues of different shapes are tracked apart in the store."""
        return f"turns{self.turns}"

    @property
    def attempt_cap(self) -> int:
        """Dialogues attempted at most in one run."""
        return self.max_dialogues or 3 * self.target

    @property
    def attempt_cap_setting(self) -> str:
        """Which setting `attempt_cap` comes from, for a warning that names it."""
        if self.max_dialogues:
            return f"dialogues.max_dialogues = {self.max_dialogues}"
        return f"3 x dialogues.target = {self.attempt_cap} dialogues attempted"
