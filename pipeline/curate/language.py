"""Language identification for the output-side mismatch check (lingua, models in its wheel).

Code, URLs and markup say nothing about the language a text is written in, so they are
removed before detection; a text with too few letters left is not judged at all."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

_CODE_BLOCK = re.compile(r"```.*?(?:```|\Z)|`[^`\n]*`", re.DOTALL)
_URL_OR_EMAIL = re.compile(r"\b(?:https?://|www\.)\S+|\S+@\S+")
_SAMPLE_CHARS = 600  # the start of a long answer is enough to tell its language

# How an instruction names the language it wants the answer in; such answers are no mismatch.
LANGUAGE_NAMES_ZH = {
    "en": ("英语", "英文"), "zh": ("中文", "汉语", "普通话"), "fr": ("法语", "法文"),
    "de": ("德语", "德文"), "es": ("西班牙语", "西班牙文"), "it": ("意大利语",),
    "pt": ("葡萄牙语",), "ja": ("日语", "日文"), "ko": ("韩语", "朝鲜语", "韩文"),
    "ru": ("俄语", "俄文"),
}
_TRANSLATION = re.compile(r"translat|翻译|译成|译为|用(?:英|中|法|德|日|韩|俄)", re.IGNORECASE)


@dataclass(frozen=True)
class Detected:
    code: str  # ISO 639-1, lower case
    confidence: float


@lru_cache(maxsize=4)
def detector(codes: tuple[str, ...]) -> LanguageDetector:
    languages = [Language.from_iso_code_639_1(IsoCode639_1.from_str(code)) for code in codes]
    if len(languages) < 2:
        raise ValueError("language detection needs at least two languages to choose between")
    return LanguageDetectorBuilder.from_languages(*languages).build()


def prose_of(text: str) -> str:
    return _URL_OR_EMAIL.sub(" ", _CODE_BLOCK.sub(" ", text))[:_SAMPLE_CHARS]


def detect(text: str, codes: tuple[str, ...], min_letters: int) -> Detected | None:
    prose = prose_of(text)
    if sum(1 for char in prose if char.isalpha()) < min_letters:
        return None
    values = detector(codes).compute_language_confidence_values(prose)
    if not values:
        return None
    top = values[0]
    return Detected(top.language.iso_code_639_1.name.lower(), float(top.value))


def names_language(prompt: str, code: str) -> bool:
    """Does the prompt ask for this language ("in French", "用法语", "translate ...")?"""
    if _TRANSLATION.search(prompt):
        return True
    english = Language.from_iso_code_639_1(IsoCode639_1.from_str(code)).name.lower()
    lowered = prompt.lower()
    return english in lowered or any(name in prompt for name in LANGUAGE_NAMES_ZH.get(code, ()))
