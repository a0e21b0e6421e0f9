"""A corpus document's language, fast on long documents: only the start of the text is read.

Scripts settle most documents without a model: Han characters without kana mean Chinese, kana
Japanese, hangul Korean; English prose is recognised by its function words
(`pipeline.curate.language.obvious_language`). The rest goes to lingua (low-accuracy mode: it
reads a thousand characters, where its high-accuracy models buy nothing) among
DETECTED_LANGUAGES. Codes are ISO 639-1; "unknown" when too few letters or no clear winner."""

from __future__ import annotations

import re
from functools import lru_cache

from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

from pipeline.curate.language import obvious_language
from pipeline.text import HAN_CHARACTER, letter_count

SAMPLE_CHARS = 2000  # script counts and the English check read this much of a document
MODEL_SAMPLE_CHARS = 1000  # lingua reads this much (its time grows with the length)
MIN_LETTERS = 20  # fewer letters than this in the sample: "unknown"
MIN_CONFIDENCE = 0.5  # lingua's top language below this: "unknown"
UNKNOWN = "unknown"
DETECTED_LANGUAGES = (
    "en zh de fr es it pt nl ru ja ko ar pl tr vi id sv da nb fi cs uk el he hi th fa".split()
)

_URL_OR_EMAIL = re.compile(r"\b(?:https?://|www\.)\S+|\S+@\S+")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")


@lru_cache(maxsize=1)
def _detector() -> LanguageDetector:
    languages = [Language.from_iso_code_639_1(IsoCode639_1.from_str(code)) for code in DETECTED_LANGUAGES]
    return LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode().build()


def script_language(sample: str, letters: int) -> str | None:
    """zh, ja or ko when the sample's script says so; None for alphabetic scripts."""
    han = len(HAN_CHARACTER.findall(sample))
    kana = len(_KANA.findall(sample))
    hangul = len(_HANGUL.findall(sample))
    if kana >= 0.1 * letters:
        return "ja"
    if hangul >= 0.3 * letters:
        return "ko"
    if han >= 0.5 * letters:
        return "zh"
    return None


def detect_language(text: str) -> str:
    """ISO 639-1 code of the language `text` is written in ("en", "zh", "de", ...), or "unknown"."""
    sample = _URL_OR_EMAIL.sub(" ", text[:SAMPLE_CHARS])
    letters = letter_count(sample)
    if letters < MIN_LETTERS:
        return UNKNOWN
    by_script = script_language(sample, letters)
    if by_script is not None:
        return by_script
    if obvious_language(sample) == "en":
        return "en"
    values = _detector().compute_language_confidence_values(sample[:MODEL_SAMPLE_CHARS])
    if not values or values[0].value < MIN_CONFIDENCE:
        return UNKNOWN
    return values[0].language.iso_code_639_1.name.lower()
