import random
import string

from pipeline.text import _TOKEN, LETTER, ascii_token_bytes, letter_count, normalize, tokenize


def _by_the_pattern(text: str) -> list[str]:
    return _TOKEN.findall(normalize(text))


def test_ascii_text_is_tokenized_and_counted_as_the_patterns_do_it() -> None:
    """ASCII text takes a faster path than the pattern; both must give the same tokens and letter counts, over
    every ASCII character (controls, the separators \\x1c-\\x1f that str.split treats as
    space, underscores, which are not word characters here)."""
    rng = random.Random(3)
    alphabet = [chr(code) for code in range(128)]
    texts = [
        "",
        "   ",
        "Hello, World! it's 2024_05_01 x2",
        "snake_case and CamelCase\tTABS\nnew\x1flines\x0b\x00",
        *("".join(rng.choices(alphabet, k=rng.randint(1, 80))) for _ in range(3000)),
        *("".join(rng.choices(string.ascii_letters + " _-'.,0123456789", k=60)) for _ in range(1000)),
    ]
    for text in texts:
        expected = _by_the_pattern(text)
        assert tokenize(text) == expected, repr(text)
        assert ascii_token_bytes(text) == [token.encode() for token in expected], repr(text)
        assert letter_count(text) == len(LETTER.findall(text)), repr(text)


def test_other_text_keeps_the_pattern() -> None:
    assert tokenize("Ｆｕｌｌ-width ÉCOLE 今天天气 ok") == [
        "full",
        "width",
        "école",
        "今",
        "天",
        "天",
        "气",
        "ok",
    ]


def test_letters_of_other_scripts_are_counted() -> None:
    assert letter_count("今天 ok, école 42!") == 9
    assert letter_count("日本語のテキスト") == 8
