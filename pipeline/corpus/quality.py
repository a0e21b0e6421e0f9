"""Document quality rules in the manner of Gopher (Rae et al. 2021, appendix A) and C4 (Raffel
et al. 2020), with character-based counterparts for Chinese. `check_quality` returns the first
rule a document fails, as (rule, evidence), or None when it passes all.

Alphabetic text, in the order they run (names as in RULES): word_count; the repeated
lines and paragraphs (dup_lines, dup_paragraphs, dup_line_chars, dup_paragraph_chars: a page of
repeated lines is best described by them, whatever else it fails); mean_word_length,
symbol_ratio, bullet_lines, ellipsis_lines, alpha_words, stop_words (English only),
terminal_punctuation; last, as they cost most, top_ngram_<n> (n = 2, 3, 4) and dup_ngram_<n>
(n = 5 ... 10).
Chinese, Japanese, Korean (the language says so, or CJK characters are at least `cjk_share` of
the letters: `pipeline.text.cjk_ratio`): zh_char_count, the same repetition rules,
zh_letter_share, zh_symbol_ratio, the same line rules, zh_stop_chars (Chinese only),
zh_terminal_punctuation (。！？… count as terminal), and the n-gram rules over characters
(zh_top_ngram_<n>, zh_dup_ngram_<n>)."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field, field_validator

from pipeline.corpus.language import detect_language as detect_language  # re-exported for the build
from pipeline.corpus.repetition import NgramIndex, duplicates, lines_of, paragraphs_of
from pipeline.settings import StrictModel
from pipeline.text import LETTER, cjk_ratio, letter_count, tokenize

# Gopher's stop words (at least two must occur in an English document)
GOPHER_STOP_WORDS = ["the", "be", "to", "of", "and", "that", "have", "with"]
# frequent Chinese function characters; ordinary prose has several in every paragraph
ZH_STOP_CHARS = ["的", "了", "是", "在", "和", "有", "也", "就", "不", "这", "与", "对", "为", "而"]
CJK_LANGUAGES = frozenset({"zh", "ja", "ko"})
BULLETS = ("-", "*", "•", "‣", "◦", "▪", "●", "■", "·", "–", "—", "○", "►")
ELLIPSES = ("...", "…")
TERMINAL = tuple(".!?\"'") + ("。", "！", "？", "…", "”", "」", "』")
_CLOSING = "\"')]}”’」』）》"


class QualityConfig(StrictModel):
    """Thresholds of the quality rules. From Gopher (Rae et al. 2021, appendix A): the word count
    range 50-100,000, mean word length 3-10, symbol (# and ellipsis) to word ratio 0.1, bullet
    lines 90%, ellipsis lines 30%, alphabetic words 80%, two of the eight stop words, and the
    repetition limits (lines 30%, paragraphs 30%, line characters 20%, paragraph characters 20%,
    top 2/3/4-gram 20/18/16%, duplicate 5...10-gram 15...10%). C4 (Raffel et al. 2020) keeps
    only lines that end in terminal punctuation; at document level we require a share of such
    lines, 12% as FineWeb (Penedo et al. 2024) does. The Chinese thresholds are ours, chosen on
    Chinese prose (tests/corpus/test_quality.py): characters play the part of words."""

    enabled: bool = True
    disabled_rules: list[str] = Field(default_factory=list)
    min_words: int = Field(50, ge=0)
    max_words: int = Field(100_000, ge=1)
    min_mean_word_length: float = 3.0
    max_mean_word_length: float = 10.0
    max_symbol_word_ratio: float = 0.1
    max_bullet_lines: float = 0.9
    max_ellipsis_lines: float = 0.3
    min_alpha_words: float = 0.8
    stop_words: list[str] = Field(default_factory=lambda: list(GOPHER_STOP_WORDS))
    min_stop_words: int = 2
    min_terminal_punctuation_lines: float = 0.12
    max_dup_lines: float = 0.3
    max_dup_paragraphs: float = 0.3
    max_dup_line_chars: float = 0.2
    max_dup_paragraph_chars: float = 0.2
    max_top_ngram_chars: dict[int, float] = Field(default_factory=lambda: {2: 0.20, 3: 0.18, 4: 0.16})
    max_dup_ngram_chars: dict[int, float] = Field(
        default_factory=lambda: {5: 0.15, 6: 0.14, 7: 0.13, 8: 0.12, 9: 0.11, 10: 0.10}
    )
    # CJK text: character rules
    cjk_share: float = Field(0.3, ge=0, le=1)
    zh_min_chars: int = Field(100, ge=0)
    zh_max_chars: int = Field(300_000, ge=1)
    zh_min_letter_share: float = 0.6
    zh_max_symbol_char_ratio: float = 0.05
    zh_stop_chars: list[str] = Field(default_factory=lambda: list(ZH_STOP_CHARS))
    zh_min_stop_chars: int = 2
    zh_max_top_ngram_chars: dict[int, float] = Field(default_factory=lambda: {2: 0.20, 3: 0.18, 4: 0.16})
    zh_max_dup_ngram_chars: dict[int, float] = Field(
        default_factory=lambda: {5: 0.30, 6: 0.28, 7: 0.26, 8: 0.24, 9: 0.22, 10: 0.20}
    )

    @field_validator("disabled_rules")
    @classmethod
    def _known_rules(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(RULES))
        if unknown:
            raise ValueError(f"unknown quality rules {unknown}: expected some of {', '.join(RULES)}")
        return value


RULES = (
    "word_count mean_word_length symbol_ratio bullet_lines ellipsis_lines alpha_words stop_words "
    "terminal_punctuation dup_lines dup_paragraphs dup_line_chars dup_paragraph_chars "
    "zh_char_count zh_letter_share zh_symbol_ratio zh_stop_chars zh_terminal_punctuation".split()
    + [f"{prefix}top_ngram_{n}" for prefix in ("", "zh_") for n in range(2, 5)]
    + [f"{prefix}dup_ngram_{n}" for prefix in ("", "zh_") for n in range(5, 11)]
)

Failure = tuple[str, str]


def check_quality(text: str, language: str, config: QualityConfig) -> Failure | None:
    """The first quality rule `text` fails, as (rule, evidence such as "mean word length 1.80 <
    3"), or None. `language`: an ISO code from `detect_language` ("en", "zh", ... or "unknown")."""
    if not config.enabled:
        return None
    chinese = language in CJK_LANGUAGES or (language != "en" and cjk_ratio(text) >= config.cjk_share)
    checks = _cjk_checks(text, language, config) if chinese else _alphabetic_checks(text, language, config)
    for failure in checks:
        if failure is not None and failure[0] not in config.disabled_rules:
            return failure
    return None


def _share(count: int, total: int) -> float:
    return count / total if total else 0.0


def _too_high(rule: str, what: str, value: float, limit: float) -> Failure | None:
    return (rule, f"{what} {value:.3f} > {limit:g}") if value > limit else None


def _too_low(rule: str, what: str, value: float, limit: float) -> Failure | None:
    return (rule, f"{what} {value:.3f} < {limit:g}") if value < limit else None


def _alphabetic_checks(text: str, language: str, config: QualityConfig) -> Iterator[Failure | None]:
    words = text.split()
    count = len(words)
    if not config.min_words <= count <= config.max_words:
        yield "word_count", f"{count} words, expected {config.min_words}-{config.max_words}"
    lines = lines_of(text)
    yield from _repetition_checks(text, lines, config)
    mean = sum(len(word) for word in words) / count if count else 0.0
    if not config.min_mean_word_length <= mean <= config.max_mean_word_length:
        bounds = f"{config.min_mean_word_length:g}-{config.max_mean_word_length:g}"
        yield "mean_word_length", f"mean word length {mean:.2f}, expected {bounds}"
    symbols = text.count("#") + text.count("...") + text.count("…")
    yield _too_high(
        "symbol_ratio", "# and ellipsis per word", _share(symbols, count), config.max_symbol_word_ratio
    )
    yield from _line_checks(lines, config)
    alpha = sum(1 for word in words if LETTER.search(word))
    yield _too_low(
        "alpha_words", "share of words with a letter", _share(alpha, count), config.min_alpha_words
    )
    if language == "en":
        lowered = {word.strip(".,;:!?\"'()").lower() for word in words}
        found = [word for word in config.stop_words if word in lowered]
        if len(found) < config.min_stop_words:
            yield (
                "stop_words",
                f"stop words {found} (fewer than {config.min_stop_words} of {config.stop_words})",
            )
    yield _terminal_check("terminal_punctuation", lines, config)
    yield from _ngram_checks("", tokenize(text), config.max_top_ngram_chars, config.max_dup_ngram_chars)


def _cjk_checks(text: str, language: str, config: QualityConfig) -> Iterator[Failure | None]:
    chars = [char for char in text if not char.isspace()]
    count = len(chars)
    if not config.zh_min_chars <= count <= config.zh_max_chars:
        yield "zh_char_count", f"{count} characters, expected {config.zh_min_chars}-{config.zh_max_chars}"
    lines = lines_of(text)
    yield from _repetition_checks(text, lines, config)
    letters = letter_count(text)  # Han characters count as letters (\w, not digits)
    yield _too_low(
        "zh_letter_share",
        "share of Han/letter characters",
        _share(letters, count),
        config.zh_min_letter_share,
    )
    symbols = text.count("#") + text.count("...") + text.count("…")
    yield _too_high(
        "zh_symbol_ratio",
        "# and ellipsis per character",
        _share(symbols, count),
        config.zh_max_symbol_char_ratio,
    )
    yield from _line_checks(lines, config)
    if language == "zh":
        found = [char for char in config.zh_stop_chars if char in text]
        if len(found) < config.zh_min_stop_chars:
            yield "zh_stop_chars", f"stop characters {found} (fewer than {config.zh_min_stop_chars})"
    yield _terminal_check("zh_terminal_punctuation", lines, config)
    yield from _ngram_checks(
        "zh_", tokenize(text), config.zh_max_top_ngram_chars, config.zh_max_dup_ngram_chars
    )


def _line_checks(lines: list[str], config: QualityConfig) -> Iterator[Failure | None]:
    bullets = sum(1 for line in lines if line.startswith(BULLETS))
    yield _too_high(
        "bullet_lines",
        "share of lines starting with a bullet",
        _share(bullets, len(lines)),
        config.max_bullet_lines,
    )
    ellipses = sum(1 for line in lines if line.endswith(ELLIPSES))
    yield _too_high(
        "ellipsis_lines",
        "share of lines ending in an ellipsis",
        _share(ellipses, len(lines)),
        config.max_ellipsis_lines,
    )


def _terminal_check(rule: str, lines: list[str], config: QualityConfig) -> Failure | None:
    ended = sum(1 for line in lines if line.rstrip(_CLOSING).endswith(TERMINAL) or line.endswith(TERMINAL))
    share = _share(ended, len(lines))
    return _too_low(
        rule, "share of lines ending in terminal punctuation", share, config.min_terminal_punctuation_lines
    )


def _repetition_checks(text: str, lines: list[str], config: QualityConfig) -> Iterator[Failure | None]:
    by_line = duplicates(lines)
    by_paragraph = duplicates(paragraphs_of(text))
    yield _too_high("dup_lines", "share of repeated lines", by_line.fraction, config.max_dup_lines)
    yield _too_high(
        "dup_paragraphs", "share of repeated paragraphs", by_paragraph.fraction, config.max_dup_paragraphs
    )
    yield _too_high(
        "dup_line_chars",
        "character share of repeated lines",
        by_line.char_fraction,
        config.max_dup_line_chars,
    )
    yield _too_high(
        "dup_paragraph_chars",
        "character share of repeated paragraphs",
        by_paragraph.char_fraction,
        config.max_dup_paragraph_chars,
    )


def _ngram_checks(
    prefix: str, units: list[str], top_limits: dict[int, float], dup_limits: dict[int, float]
) -> Iterator[Failure | None]:
    index = NgramIndex(units)
    for n, limit in sorted(top_limits.items()):
        value = index.top_char_fraction(n)
        yield _too_high(
            f"{prefix}top_ngram_{n}", f"character share of the most frequent {n}-gram", value, limit
        )
    for n, limit in sorted(dup_limits.items()):
        value = index.duplicate_char_fraction(n)
        yield _too_high(f"{prefix}dup_ngram_{n}", f"character share of repeated {n}-grams", value, limit)
