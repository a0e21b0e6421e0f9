import random

from pipeline.curate.language import (
    _CODE_BLOCK,
    _ENGLISH_ONLY,
    _URL_OR_EMAIL,
    _by_patterns,
    detect,
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


def test_the_ascii_fast_paths_agree_with_the_patterns() -> None:
    """ASCII text is read without the patterns; its prose and its obvious language must come
    out as the patterns give them, on English, look-alikes and random ASCII."""
    for text in _texts(11, 4000):
        assert prose_of(text) == _prose_by_the_patterns(text), repr(text)
        assert obvious_language(text) == _by_patterns(text), repr(text)


def test_other_text_is_judged_by_the_patterns() -> None:
    assert obvious_language("今天天气很好，我们去公园吧 ok") == "zh"
    assert obvious_language("日本語のテキストです") is None  # kana: not Chinese
    assert obvious_language("Ça va très bien, merci beaucoup à tous") is None
    assert obvious_language("Ça the and of to is that for with was it") == "en"


def test_detect_names_english_and_chinese_and_leaves_short_text_alone() -> None:
    codes = ("en", "zh", "fr", "de")
    english = detect("The answer is that you should water the plant when the soil is dry.", codes, 10)
    assert english is not None and english.code == "en"
    chinese = detect("植物的土壤干燥时应该浇水，这样它才能长得好。", codes, 10)
    assert chinese is not None and chinese.code == "zh"
    assert detect("ok `print(1)` http://x.org", codes, 10) is None
