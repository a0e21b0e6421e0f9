"""The text of every shipped generation prompt, for the curation check that spots a prompt
leaking into a record. Curation cannot import the templates (generation builds on curation),
so it reads a copy, `pipeline/curate/structure/template_texts.json`, which
`python -m pipeline.generate.template_texts` rewrites and a test keeps in step.

Fixed instructions that legitimately appear in records (a dialogue's role instruction) and the
worked examples (checked against answers where they are parsed) are left out."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from pipeline.generate.dialogues.templates import TEMPLATES
from pipeline.generate.self_instruct.templates import KINDS, template_set

COPY = Path(__file__).parents[1] / "curate" / "structure" / "template_texts.json"
_FIELD = re.compile(r"\{\w+\}")


def _pieces(text: str) -> list[str]:
    """The lines of a prompt, format fields ("{count}") left in place."""
    return [line.strip() for line in text.splitlines() if _FIELD.sub("", line).strip()]


def template_texts() -> dict[str, list[str]]:
    """Per language, the distinct lines of every self-instruct and dialogue prompt."""
    texts: dict[str, list[str]] = {}
    for language in ("en", "zh"):
        templates = template_set(language)
        for kind in KINDS:
            template = getattr(templates, kind)
            for text in (template.system, template.user, template.json_hint, template.text_hint):
                texts.setdefault(language, []).extend(_pieces(text))
    for dialogue in TEMPLATES.values():
        own = [dialogue.asker_system, dialogue.answerer_system]
        own += [text for turn in dialogue.turns for text in (turn.ask, turn.answer)]
        texts.setdefault(dialogue.language, []).extend(piece for text in own for piece in _pieces(text))
    return {language: list(dict.fromkeys(pieces)) for language, pieces in sorted(texts.items())}


def render() -> str:
    return json.dumps(template_texts(), ensure_ascii=False, indent=1) + "\n"


def main() -> None:
    COPY.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {COPY}\n")


if __name__ == "__main__":
    main()
