"""The JSON in a model's answer to a self-instruct prompt.

`extract_json` (the LLM layer's one JSON digger: the whole text, a fenced block, the outermost
object or array) reads the answer as written; failing that, the same with full-width quotes,
colons, commas and brackets repaired, which Chinese answers often carry. The repair also
touches content, so it comes last.

An array counts only when the answer is that array: an array inside prose is far more often
part of a task ("Sort [3, 1, 2]", "Input: ["a", "b"]") than the answer, and the parsers read
such prose as a numbered list or labelled lines instead."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pipeline.llm.structured import extract_json

_FULLWIDTH_JSON = str.maketrans(
    {"“": '"', "”": '"', "：": ":", "，": ",", "［": "[", "］": "]", "｛": "{", "｝": "}"}
)


def json_candidates(text: str) -> Iterator[Any]:
    """Every JSON value the text can be read as, as written first, then repaired."""
    variants = [text]
    repaired = text.translate(_FULLWIDTH_JSON)
    if repaired != text:
        variants.append(repaired)
    for variant in variants:
        try:
            value = extract_json(variant)
        except ValueError:
            continue
        if isinstance(value, list) and not variant.lstrip().startswith("["):
            continue
        yield value
