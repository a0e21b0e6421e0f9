"""A knowledge-base entry: a name, its facts, and where it came from."""

from __future__ import annotations

import json
from typing import Literal

from pydantic import BaseModel, Field

from pipeline.records import content_hash
from pipeline.text import normalize

FactValue = list[str] | str
Status = Literal["active", "superseded", "removed"]


def entry_key(name: str) -> str:
    """Identity of an entry within its source file: the same name is the same entry."""
    return normalize(name)


class KBEntry(BaseModel):
    name: str
    facts: dict[str, FactValue]
    roles: dict[str, str] = Field(default_factory=dict, description="role -> field; 'name' included")
    domain: str = "generic"
    language: str = "en"
    source: str
    row: int
    version: int = 1
    status: Status = "active"
    id: str = ""

    def model_post_init(self, __context: object) -> None:
        if not self.id:
            self.id = self.content_id()

    def content_id(self) -> str:
        """Hash of what the entry says (not where it sits): a moved row keeps its id."""
        body = json.dumps(
            [self.name, self.facts, self.roles, self.domain, self.language],
            ensure_ascii=False,
            sort_keys=True,
        )
        return content_hash("kb-entry", body)

    @property
    def key(self) -> str:
        return entry_key(self.name)

    def items(self, role: str) -> list[str]:
        """The facts that play `role`, as a list (a prose fact is one item)."""
        field = self.roles.get(role)
        if role == "name":
            return [self.name]
        value = self.facts.get(field) if field else None
        if value is None:
            return []
        return list(value) if isinstance(value, list) else [value]

    def fact_text(self) -> str:
        return "\n".join(
            f"{field}: {'; '.join(v) if isinstance(v, list) else v}" for field, v in self.facts.items()
        )
