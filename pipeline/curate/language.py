"""Language identification for the output-side mismatch check (lingua, models in its wheel).

Code, URLs and markup say nothing about the language a text is written in, so they are
removed before detection; a text with too few letters left is not judged at all."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

from pipeline.text import HAN_CHARACTER, KANA_HANGUL_CHARACTER, letter_count

_CODE_BLOCK = re.compile(r"```.*?(?:```|\Z)|`[^`\n]*`", re.DOTALL)
_URL_OR_EMAIL = re.compile(r"\b(?:https?://|www\.)\S+|\S+@\S+")
_SAMPLE_CHARS = 300  # the start of a long answer tells its language (and time grows with length)

# How an instruction names the language it wants the answer in; such answers are no mismatch.
LANGUAGE_NAMES_ZH = {
    "en": ("英语", "英文"),
    "zh": ("中文", "汉语", "普通话"),
    "fr": ("法语", "法文"),
    "de": ("德语", "德文"),
    "es": ("西班牙语", "西班牙文"),
    "it": ("意大利语",),
    "pt": ("葡萄牙语",),
    "ja": ("日语", "日文"),
    "ko": ("韩语", "朝鲜语", "韩文"),
    "ru": ("俄语", "俄文"),
}
_TRANSLATION = re.compile(r"translat|翻译|译成|译为|用(?:英|中|法|德|日|韩|俄)", re.IGNORECASE)


# Words that occur only in English, not in French/German/Spanish/... prose: a text where they
# make up a fifth of all words is English without asking the detector (most answers are).
_ENGLISH_ONLY = frozenset(
    """the and of to is that for with are was this it you be on by from
they which have has not or can will your more their what when there been would about into
than them these some could other then its our only also how were should most after""".split()
)
_WORD = re.compile(r"[a-zA-Z']+")
# ASCII text's words as `_WORD` finds them, lower-cased: every other byte becomes a space
_ASCII_WORD_CHARS = bytes(code if chr(code).isalpha() or code == 39 else 32 for code in range(128)).lower()
_ASCII_WORD_CHARS += b" " * 128
_ENGLISH_ONLY_BYTES = frozenset(word.encode() for word in _ENGLISH_ONLY)


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
    if "`" in text:
        text = _CODE_BLOCK.sub(" ", text)
    if "@" in text or "://" in text or "www." in text:  # every URL or address holds one
        text = _URL_OR_EMAIL.sub(" ", text)
    return text[:_SAMPLE_CHARS]


def obvious_language(prose: str) -> str | None:
    """English or Chinese when the text leaves no doubt; None means: ask the detector."""
    if prose.isascii():  # what `_by_patterns` finds in ASCII text (no Han), found faster
        ascii_words = prose.encode("ascii").translate(_ASCII_WORD_CHARS).split()
        english = [word for word in ascii_words if word in _ENGLISH_ONLY_BYTES]
        return "en" if len(ascii_words) >= 8 and len(english) >= 0.2 * len(ascii_words) else None
    return _by_patterns(prose)


def _by_patterns(prose: str) -> str | None:
    han = len(HAN_CHARACTER.findall(prose))
    if han:
        letters = letter_count(prose)
        return "zh" if han >= 0.8 * letters and not KANA_HANGUL_CHARACTER.search(prose) else None
    words = _WORD.findall(prose)
    if len(words) >= 8 and sum(w.lower() in _ENGLISH_ONLY for w in words) >= 0.2 * len(words):
        return "en"
    return None


def detect(text: str, codes: tuple[str, ...], min_letters: int) -> Detected | None:
    prose = prose_of(text)
    if letter_count(prose) < min_letters:
        return None
    obvious = obvious_language(prose)
    if obvious is not None and obvious in codes:
        return Detected(obvious, 1.0)
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
