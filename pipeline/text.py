"""Text helpers every stage shares: CJK-aware tokens and normalisation, and CJK detection.

rouge-score's default tokenizer keeps only [a-z0-9] and so deletes every CJK character: a
Chinese text then has ROUGE-L 0 with itself. Here each CJK character is one token (the usual
unit for Chinese ROUGE), and Latin letters/digits form words, lower-cased.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

CJK_RANGES = (
    "\u3040-\u30ff"  # hiragana, katakana
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uac00-\ud7af"  # hangul syllables
    "\uf900-\ufaff"  # CJK compatibility ideographs
)
CJK_CHARACTER = re.compile(rf"[{CJK_RANGES}]")
HAN_CHARACTER = re.compile(r"[\u4e00-\u9fff]")  # CJK unified ideographs: Chinese characters
KANA_HANGUL_CHARACTER = re.compile(r"[\u3040-\u30ff\uac00-\ud7af]")  # Japanese or Korean script

_TOKEN = re.compile(rf"[{CJK_RANGES}]|[^\W_{CJK_RANGES}]+", re.UNICODE)
_LETTER_OR_DIGIT = re.compile(r"[^\W_]", re.UNICODE)
LETTER = re.compile(r"[^\W\d_]")  # a letter of any script (a Han character is one)
# ASCII fast paths, the same results as the patterns and several times as fast: a table that
# turns every byte but a letter or digit into a space and lower-cases letters (tokens are then a
# C-level split), and the ASCII letters, which a translation deletes to count them
_ASCII_WORD_BYTES = bytes(code if chr(code).isalnum() and code < 128 else 32 for code in range(256)).lower()
_ASCII_LETTERS = bytes(range(65, 91)) + bytes(range(97, 123))


def normalize(text: str) -> str:
    """NFKC folds full-width forms to half-width; case and whitespace are folded too."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def tokenize(text: str) -> list[str]:
    """Each CJK character is a token; runs of other letters and digits are words."""
    if text.isascii():  # what the pattern finds in ASCII text, found faster
        return _ascii_words(text).decode("ascii").split()
    return _TOKEN.findall(normalize(text))


def _ascii_words(text: str) -> bytes:
    return text.encode("ascii").translate(_ASCII_WORD_BYTES)


def ascii_token_bytes(text: str) -> list[bytes]:
    """`tokenize(text)` for ASCII text, as bytes (what hashing wants)."""
    return _ascii_words(text).split()


def letter_count(text: str) -> int:
    """How many letters `text` holds (what `LETTER` finds)."""
    if text.isascii():
        return len(text) - len(text.encode("ascii").translate(None, _ASCII_LETTERS))
    return len(LETTER.findall(text))


@lru_cache(maxsize=64)  # the same fields are asked about by several checks in a row
def cjk_ratio(text: str) -> float:
    """Share of CJK characters among letters and digits (0 when there are none)."""
    if text.isascii():  # no CJK character is ASCII: skip counting the letters of English text
        return 0.0
    letters = len(_LETTER_OR_DIGIT.findall(text))
    return len(CJK_CHARACTER.findall(text)) / letters if letters else 0.0


def has_han(text: str) -> bool:
    """Whether `text` contains a Chinese character."""
    return HAN_CHARACTER.search(text) is not None


class CJKTokenizer:
    """Drop-in tokenizer for rouge_score.rouge_scorer.RougeScorer(tokenizer=...)."""

    def tokenize(self, text: str) -> list[str]:
        return tokenize(text)
