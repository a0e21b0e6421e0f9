"""Versioned prompt templates for knowledge-base dialogues, one per domain and language, and
the lookup that picks one for an entry. The template types and shared helpers are in `base`."""

from __future__ import annotations

from pipeline.generate.dialogues.templates.base import DialogueTemplate
from pipeline.generate.dialogues.templates.en import GENERIC_EN, MEDICAL_EN
from pipeline.generate.dialogues.templates.support import PRODUCT_SUPPORT_EN
from pipeline.generate.dialogues.templates.zh import MEDICAL_ZH

__all__ = ["GENERIC_EN", "MEDICAL_EN", "MEDICAL_ZH", "PRODUCT_SUPPORT_EN", "TEMPLATES", "template_for"]

TEMPLATES = {(t.domain, t.language): t for t in (MEDICAL_EN, MEDICAL_ZH, PRODUCT_SUPPORT_EN, GENERIC_EN)}


def template_for(domain: str, language: str) -> DialogueTemplate:
    """The domain's template in the entry's language, else its English one, else generic."""
    return TEMPLATES.get((domain, language)) or TEMPLATES.get((domain, "en")) or TEMPLATES[("generic", "en")]
