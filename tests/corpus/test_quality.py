"""Document quality rules: good English and Chinese prose passes; each rule fires on a document
made to fail it (earlier rules disabled where a document cannot fail one rule alone)."""

from __future__ import annotations

import random
import time
from collections import Counter

import pytest
from pydantic import ValidationError

from pipeline.corpus.quality import RULES, QualityConfig, check_quality, detect_language
from pipeline.corpus.repetition import (
    NgramIndex,
    duplicate_ngram_char_fraction,
    duplicates,
    paragraphs_of,
    top_ngram_char_fraction,
)

GOOD_EN = """Soil moisture sensors measure the volumetric water content of the ground around the roots of a \
plant. Farmers use the readings to decide when to irrigate, which saves water and reduces the leaching of \
fertiliser into nearby streams.

Most low-cost sensors estimate moisture from the dielectric permittivity of the soil. Water has a much \
higher permittivity than dry minerals or air, so the capacitance of a probe buried in wet soil rises with \
the amount of water it holds.

Calibration matters. A sensor calibrated for sandy loam will overestimate the moisture of a heavy clay, \
because clay particles bind water that plants cannot take up. Agronomists therefore recommend a field \
calibration with gravimetric samples taken at the start of each season."""

GOOD_ZH = """土壤湿度传感器用于测量植物根系周围土壤的体积含水量。农民根据读数决定何时灌溉，这样既能节约用水，\
也能减少化肥流失到附近的河流中。

大多数低成本传感器是通过土壤的介电常数来估算湿度的。水的介电常数远高于干燥的矿物和空气，因此埋在湿润土壤中的探头，\
其电容会随着含水量的增加而升高。

校准非常重要。为沙质壤土校准的传感器在黏土中往往会高估湿度，因为黏土颗粒会吸附植物无法利用的水分。\
所以农学家建议在每个季节开始时，用烘干称重法采集样品，对传感器进行田间校准。"""

WORDS = (
    "soil water sensor probe field crop season farmer river clay sand loam root leaf sample "
    "reading valve pump canal meter tower cable board light storm cloud frost wheat maize bean"
).split()
HAN = (
    "土壤湿度传感器测量根系周围水分含量农民读数决定灌溉时间"
    "节约用水减少化肥流失附近河流介电常数矿物空气探头电容"
)


def _sentence(i: int, words: int = 9) -> str:
    """A distinct English sentence with stop words: 'The soil of the ... and water.'"""
    picked = [WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(words - 4)]
    return f"The {picked[0]} of the {' '.join(picked[1:])} and {WORDS[i % len(WORDS)]}{i}."


def _zh_sentence(i: int, chars: int = 14) -> str:
    body = "".join(HAN[(i * 5 + k * 3) % len(HAN)] for k in range(chars))
    return f"{body}的数据是{i}号。"


def _config(*disabled: str) -> QualityConfig:
    return QualityConfig(disabled_rules=list(disabled))


def test_good_prose_passes_and_is_identified() -> None:
    assert detect_language(GOOD_EN) == "en"
    assert detect_language(GOOD_ZH) == "zh"
    assert check_quality(GOOD_EN, "en", QualityConfig()) is None
    assert check_quality(GOOD_ZH, "zh", QualityConfig()) is None


UNIQUE_LINES = "\n".join(_sentence(i) for i in range(12))
REPEATED_PARAGRAPH = "\n\n".join(
    ["\n".join(_sentence(10 * p + i) for i in range(5)) for p in range(3)] + [_sentence(99, 30)] * 3
)
LONG_LINE = _sentence(77, 60)
ENGLISH_CASES = [
    ("word_count", "The soil is wet and the crop is fine.", ()),
    ("mean_word_length", " ".join(["I a to be of it"] * 12) + ".", ()),
    ("symbol_ratio", GOOD_EN + " #soil" * 20, ()),
    ("bullet_lines", "\n".join(f"- {_sentence(i)}" for i in range(12)), ()),
    ("ellipsis_lines", "\n".join(_sentence(i, 14)[:-1] + "…" for i in range(12)), ()),
    ("alpha_words", GOOD_EN + " " + " ".join(str(1000 + i) for i in range(60)), ()),
    (
        "stop_words",
        " ".join(f"{WORDS[i % 30]} {WORDS[(i * 7) % 30]}s measured daily." for i in range(30)),
        (),
    ),
    ("terminal_punctuation", "\n".join(_sentence(i)[:-1] for i in range(12)), ()),
    ("dup_lines", UNIQUE_LINES + "\n" + "\n".join([_sentence(50)] * 9), ()),
    ("dup_paragraphs", REPEATED_PARAGRAPH, ()),
    ("dup_line_chars", "\n".join([LONG_LINE] + [_sentence(i) for i in range(10)] + [LONG_LINE]), ()),
    ("dup_paragraph_chars", REPEATED_PARAGRAPH, ("dup_paragraphs", "dup_line_chars")),
    ("top_ngram_2", " ".join(f"soil moisture {w}{i}" for i, w in enumerate(WORDS)) + " and the rest.", ()),
    (
        "dup_ngram_5",
        GOOD_EN + " " + " ".join([_sentence(3, 8)] * 4),
        ("top_ngram_2", "top_ngram_3", "top_ngram_4"),
    ),
]


@pytest.mark.parametrize(("rule", "text", "disabled"), ENGLISH_CASES, ids=[c[0] for c in ENGLISH_CASES])
def test_each_english_rule_fires(rule: str, text: str, disabled: tuple[str, ...]) -> None:
    failure = check_quality(text, "en", _config(*disabled))
    assert failure is not None and failure[0] == rule, failure
    assert failure[1]  # evidence


ZH_LINES = "\n".join(_zh_sentence(i) for i in range(12))
CHINESE_CASES = [
    ("zh_char_count", "土壤湿度传感器的读数。", ()),
    ("zh_letter_share", GOOD_ZH + "".join(f"{1000 + i}，" for i in range(60)), ()),
    ("zh_symbol_ratio", GOOD_ZH.replace("。", "……"), ()),
    ("bullet_lines", "\n".join(f"• {_zh_sentence(i)}" for i in range(12)), ()),
    ("ellipsis_lines", "\n".join(_zh_sentence(i, 30)[:-1] + "…" for i in range(12)), ()),
    ("zh_stop_chars", "".join(HAN[(i * 5) % len(HAN) :][:12] + "。" for i in range(12)), ()),
    ("zh_terminal_punctuation", "\n".join(_zh_sentence(i)[:-1] for i in range(12)), ()),
    ("dup_lines", ZH_LINES + "\n" + "\n".join([_zh_sentence(40)] * 9), ()),
    ("zh_top_ngram_2", "".join(f"土壤{HAN[i]}是的" for i in range(len(HAN))) + "。", ()),
    (
        "zh_dup_ngram_5",
        GOOD_ZH + "另外，" + "传感器需要定期校准以保证精度，" * 10 + "。",
        ("zh_top_ngram_2",),
    ),
]


@pytest.mark.parametrize(("rule", "text", "disabled"), CHINESE_CASES, ids=[c[0] for c in CHINESE_CASES])
def test_each_chinese_rule_fires(rule: str, text: str, disabled: tuple[str, ...]) -> None:
    failure = check_quality(text, "zh", _config(*disabled))
    assert failure is not None and failure[0] == rule, failure


def test_chinese_rules_follow_the_script_when_the_language_is_unknown() -> None:
    assert check_quality(GOOD_ZH, "unknown", QualityConfig()) is None
    failure = check_quality(GOOD_ZH[:40], "unknown", QualityConfig())
    assert failure is not None and failure[0] == "zh_char_count"


def test_evidence_names_value_and_limit() -> None:
    failure = check_quality(" ".join(["I a to be of it"] * 12) + ".", "en", QualityConfig())
    assert failure == ("mean_word_length", "mean word length 1.68, expected 3-10")


def test_disabled_rules_and_disabled_filter() -> None:
    short = "The soil is wet."
    assert check_quality(short, "en", QualityConfig(enabled=False)) is None
    assert check_quality(short, "en", _config("word_count")) is not None  # the rest still judge it
    with pytest.raises(ValidationError, match="unknown quality rules"):
        QualityConfig(disabled_rules=["word_cnt"])
    assert "dup_ngram_10" in RULES and "zh_top_ngram_4" in RULES


def test_repetition_measures_by_hand() -> None:
    assert duplicates(["a", "bb", "a", "a"]) == pytest.approx(type(duplicates([]))(0.5, 2 / 5))
    assert paragraphs_of("one\n\n  \ntwo\nlines\n\n") == ["one", "two\nlines"]
    units = ["ab", "c", "ab", "c", "d"]
    assert top_ngram_char_fraction(units, 2) == pytest.approx(2 * 3 / 7)  # ("ab", "c") twice, 7 chars in all
    assert duplicate_ngram_char_fraction(units, 2) == pytest.approx(6 / 7)
    assert duplicate_ngram_char_fraction(units, 3) == 0.0
    assert top_ngram_char_fraction(units, 6) == 0.0


def _reference(units: list[str], n: int) -> tuple[float, float]:
    """Gopher's two n-gram measures spelt out with tuples (the index hashes them into arrays)."""
    grams = [tuple(units[i : i + n]) for i in range(len(units) - n + 1)]
    counts = Counter(grams)
    total = sum(len(u) for u in units)
    most = max(counts.values(), default=0)
    top = most * max(sum(map(len, g)) for g in grams if counts[g] == most) / total if most > 1 else 0.0
    covered = [False] * len(units)
    for start, gram in enumerate(grams):
        if counts[gram] > 1:
            covered[start : start + n] = [True] * n
    return top, sum(len(u) for u, c in zip(units, covered, strict=True) if c) / total if grams else 0.0


def test_ngram_index_agrees_with_the_tuple_definition() -> None:
    rng = random.Random(7)
    for _ in range(200):
        units = [
            rng.choice(["a", "bb", "ccc", "dddd", "e"][: rng.randint(1, 5)])
            for _ in range(rng.randint(1, 40))
        ]
        index = NgramIndex(units)
        for n in range(1, 11):
            top, dup = _reference(units, n) if len(units) >= n else (0.0, 0.0)
            assert index.top_char_fraction(n) == pytest.approx(top)
            assert index.duplicate_char_fraction(n) == pytest.approx(dup)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Die Bodenfeuchte wird mit Sensoren gemessen, die im Wurzelraum der Pflanzen stecken.", "de"),
        ("Les capteurs mesurent l'humidité du sol autour des racines des plantes cultivées.", "fr"),
        ("土壌水分センサーは植物の根の周りの水分量を測定します。", "ja"),
        ("12345 67890", "unknown"),
    ],
)
def test_detect_language(text: str, code: str) -> None:
    assert detect_language(text) == code


def test_detect_language_reads_only_the_start_of_long_documents() -> None:
    long_text = GOOD_ZH + GOOD_EN * 5000  # ~4 MB: the Chinese start decides
    started = time.perf_counter()
    assert detect_language(long_text) == "zh"
    assert time.perf_counter() - started < 0.5
