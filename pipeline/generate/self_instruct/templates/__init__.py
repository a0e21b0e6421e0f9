"""The shipped prompt templates of self-instruct, one set of four per language."""

from __future__ import annotations

from pipeline.errors import SeedforgeError
from pipeline.generate.self_instruct.templates.base import KINDS, Demo, PromptTemplate, TemplateSet
from pipeline.generate.self_instruct.templates.en import ENGLISH
from pipeline.generate.self_instruct.templates.zh import CHINESE

__all__ = ["KINDS", "Demo", "PromptTemplate", "TemplateSet", "template_set"]

_SETS = {"en": ENGLISH, "zh": CHINESE}


def template_set(language: str) -> TemplateSet:
    if language not in _SETS:
        raise SeedforgeError(f"unknown language {language!r}; known: {', '.join(sorted(_SETS))}")
    return _SETS[language]
