import random
import re

from pipeline.curate.language import (
    _CODE_BLOCK,
    _ENGLISH_ONLY,
    _LETTER,
    _URL_OR_EMAIL,
    _WORD,
    HAN_CHARACTER,
    KANA_HANGUL_CHARACTER,
    detect,
    letter_count,
    obvious_language,
    prose_of,
)

WORDS = [*sorted(_ENGLISH_ONLY), "dragon", "pasta", "Rome", "it's", "don't", "THE", "Und", "der", "le", "la"]
PIECES = [
    " ",
    ", ",
    ". ",
    "\n",
    "`code`",
    "```x = 1```",
    "http://a.b/c ",
    "www.x.org",
    "me@x.org",
    "@",
    "'",
    "_",
    "1",
]


def _texts(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    alphabet = [chr(code) for code in range(128)]
    texts = ["", "ok", "the and of to is that for with", "It's the DOG's bone, isn't it?"]
    for _ in range(count):
        parts = rng.choices(WORDS, k=rng.randint(0, 30)) + rng.choices(PIECES, k=rng.randint(0, 6))
        rng.shuffle(parts)
        texts.append(" ".join(parts) + "".join(rng.choices(alphabet, k=rng.randint(0, 10))))
    return texts


def _prose_by_the_patterns(text: str) -> str:
    return _URL_OR_EMAIL.sub(" ", _CODE_BLOCK.sub(" ", text))[:300]


def _obvious_by_the_patterns(prose: str) -> str | None:
    han = len(HAN_CHARACTER.findall(prose))
    if han:
        letters = len(_LETTER.findall(prose))
        return "zh" if han >= 0.8 * letters and not KANA_HANGUL_CHARACTER.search(prose) else None
    words = _WORD.findall(prose)
    if len(words) >= 8 and sum(w.lower() in _ENGLISH_ONLY for w in words) >= 0.2 * len(words):
        return "en"
    return None


def test_the_ascii_fast_paths_agree_with_the_patterns() -> None:
    """ASCII text is counted without the patterns; letters, prose and the obvious language must
    come out as the patterns give them, on English, look-alikes and random ASCII."""
    for text in _texts(11, 4000):
        assert prose_of(text) == _prose_by_the_patterns(text), repr(text)
        assert letter_count(text) == len(_LETTER.findall(text)), repr(text)
        assert obvious_language(text) == _obvious_by_the_patterns(text), repr(text)


def test_other_text_is_counted_by_the_patterns() -> None:
    for text in (
        "今天天气很好，我们去公园吧 ok",
        "Ça va très bien, merci beaucoup à tous",
        "日本語のテキストです",
    ):
        assert letter_count(text) == len(re.findall(r"[^\W\d_]", text))
        assert obvious_language(text) == _obvious_by_the_patterns(text)


def test_detect_names_english_and_chinese_and_leaves_short_text_alone() -> None:
    codes = ("en", "zh", "fr", "de")
    english = detect("The answer is that you should water the plant when the soil is dry.", codes, 10)
    assert english is not None and english.code == "en"
    chinese = detect("植物的土壤干燥时应该浇水，这样它才能长得好。", codes, 10)
    assert chinese is not None and chinese.code == "zh"
    assert detect("ok `print(1)` http://x.org", codes, 10) is None
