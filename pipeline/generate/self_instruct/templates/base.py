"""The shape of a versioned prompt template and of a language's set of four.

A template's `tag` (name@version) goes into every record's lineage and into the journal key of
every request built from it, so changing a template's text without bumping its version would
silently mix outputs of two prompts: `tests/generate/self_instruct/test_prompts.py` pins a hash
per tag."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

KINDS = ("instructions", "classify", "instances", "class_instances", "categorize")


@dataclass(frozen=True)
class Demo:
    """One worked example shown as a user turn and the assistant's JSON answer."""

    user: str
    answer: dict[str, Any]


@dataclass(frozen=True)
class PromptTemplate:
    name: str
    version: str
    language: str
    system: str
    user: str  # str.format fields differ per kind; see prompts.py
    json_hint: str = ""  # how to answer when the endpoint constrains output to a schema
    text_hint: str = ""  # how to answer as plain numbered text (endpoints without schemas)
    demos: tuple[Demo, ...] = field(default_factory=tuple)
    # (name, gloss) of the categories a categorisation prompt explains; shown for the names the
    # configured list holds (a name without a gloss is shown bare)
    glosses: tuple[tuple[str, str], ...] = ()

    @property
    def tag(self) -> str:
        return f"{self.name}@{self.version}"

    def example_texts(self) -> frozenset[str]:
        """Casefolded inputs and outputs of the worked examples (to spot them echoed back)."""
        texts = set()
        for demo in self.demos:
            for item in demo.answer.get("instances", []):
                for value in item.values():
                    texts.add(str(value).strip().casefold())
                    texts.update(line.strip().casefold() for line in str(value).splitlines())
        return frozenset(texts)

    def fingerprint(self) -> str:
        """Hash of everything the model sees; pinned in tests to force version bumps."""
        seen: list[Any] = [
            self.system,
            self.user,
            self.json_hint,
            self.text_hint,
            [(d.user, d.answer) for d in self.demos],
        ]
        if self.glosses:  # only the categorisation prompts have glosses; the older pins stay valid
            seen.append([list(gloss) for gloss in self.glosses])
        blob = json.dumps(seen, ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class TemplateSet:
    """The prompts of one language: new instructions, classification identification,
    input-first instances (ordinary tasks), output-first instances (classification) and the
    task's category."""

    language: str
    instructions: PromptTemplate
    classify: PromptTemplate
    instances: PromptTemplate
    class_instances: PromptTemplate
    categorize: PromptTemplate
    no_input: str  # what a demo shows as the input of a task that takes none

    def all(self) -> tuple[PromptTemplate, ...]:
        return tuple(getattr(self, kind) for kind in KINDS)

    def lineage_version(self) -> str:
        return "+".join(template.tag for template in self.all())

    def for_instances(self, is_classification: bool) -> PromptTemplate:
        """Label first for a classification task, input first for any other."""
        return self.class_instances if is_classification else self.instances
