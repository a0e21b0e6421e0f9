"""The screens and shortcuts of the structural checks change no decision: a screened pattern
finds what the pattern finds, on text built to match it."""

import json
import random
import re
import sys
from pathlib import Path
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
from typing import Any

import pytest

import pipeline.curate.output_checks  # with the structure package: every module whose patterns are screened
import pipeline.curate.structure  # noqa: F401  (loads every module of the package)
from pipeline.curate.pattern_screen import (
    Screened,
    needles,
    screened,
    screened_alternatives,
    search_tail,
    top_level_alternatives,
)
from pipeline.curate.rouge import rouge_l_f1 as rouge_score_f1
from pipeline.curate.rouge import rouge_l_f1_fast as rouge_l_f1
from pipeline.curate.structure.fragments import (
    _ZH_DANGLING_END,
    _ZH_DANGLING_LONGEST,
    DANGLING_END,
    DANGLING_LONGEST,
)
from pipeline.curate.structure.leakage import _ngrams, _runs, _template_grams, template_ngrams
from pipeline.curate.structure.lists import _MARKER, _number, markers
from pipeline.curate.structure.roles import may_reach

LABELLED = Path(__file__).resolve().parents[2] / "bench" / "data" / "quality"
_CATEGORY = {
    sre.CATEGORY_DIGIT: "0123456789",
    sre.CATEGORY_SPACE: " \n\t",
    sre.CATEGORY_WORD: "abcxyzQ_7中",
    sre.CATEGORY_NOT_WORD: " ,.!:-",
}
_FILLER = "the a of , . ; : - ( ) { } [ ] \" ' 1 2 \n x y 中 文".split(" ")


def _pick_in(items: list[tuple[Any, Any]], rng: random.Random) -> str:
    """A character the class accepts (where the class negates, any the pattern may then try)."""
    choices: list[str] = []
    for op, value in items:
        if op is sre.LITERAL:
            choices.append(chr(value))
        elif op is sre.RANGE:
            choices.append(chr(rng.randint(*value)))
        elif op is sre.CATEGORY:
            choices.extend(_CATEGORY.get(value, "a"))
    return rng.choice(choices or list("a1 ,.:x\n"))


def _generate(items: list[tuple[Any, Any]], rng: random.Random) -> str:
    """Text the parsed pattern may match (positions and lookarounds are not honoured: the test
    keeps only what the pattern really matches)."""
    out = []
    for op, value in items:
        if op is sre.LITERAL:
            out.append(chr(value))
        elif op is sre.NOT_LITERAL:
            out.append("a" if value != ord("a") else "b")
        elif op is sre.ANY:
            out.append(rng.choice("ab ,"))
        elif op is sre.IN:
            out.append(_pick_in(value, rng))
        elif op is sre.BRANCH:
            out.append(_generate(list(rng.choice(value[1])), rng))
        elif op is sre.SUBPATTERN:
            out.append(_generate(list(value[3]), rng))
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
            least, most, body = value
            times = rng.randint(least, min(most, least + 2))
            out.extend(_generate(list(body), rng) for _ in range(times))
        elif op is sre.ATOMIC_GROUP:
            out.append(_generate(list(value), rng))
    return "".join(out)


def _recase(text: str, rng: random.Random) -> str:
    return "".join(char.upper() if rng.random() < 0.3 else char for char in text)


def _screened_patterns() -> list[tuple[str, Screened]]:
    found = []
    for module_name, module in sorted(sys.modules.items()):  # every curation module loaded
        if not module_name.startswith("pipeline.curate."):
            continue
        for name, value in vars(module).items():
            if isinstance(value, Screened):
                found.append((f"{module_name.rsplit('.', 1)[1]}.{name}", value))
    return found


def _labelled_texts() -> list[str]:
    texts = []
    for path in sorted(LABELLED.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            texts += [item["instruction"], item.get("input", ""), item["output"]]
    return texts


def _spans(pattern: Any, text: str) -> list[tuple[int, int]]:
    return [match.span() for match in pattern.finditer(text)]


@pytest.mark.parametrize(
    ("name", "screen"), [pytest.param(*item, id=item[0]) for item in _screened_patterns()]
)
def test_a_screened_pattern_finds_what_the_pattern_finds(name: str, screen: Screened) -> None:
    rng = random.Random(name)
    tree = list(_parser.parse(screen.pattern.pattern, screen.pattern.flags))
    matched = 0
    for _ in range(400):
        core = _generate(tree, rng)
        if screen.pattern.flags & re.IGNORECASE:
            core = _recase(core, rng)
        before = "".join(rng.choice(_FILLER) for _ in range(rng.randint(0, 3)))
        after = "".join(rng.choice(_FILLER) for _ in range(rng.randint(0, 3)))
        for text in (core, f"{before} {core} {after}", f"{before}{core}{after}"):
            matched += screen.pattern.search(text) is not None
            assert _spans(screen, text) == _spans(screen.pattern, text), (name, text)
            found, expected = screen.search(text), screen.pattern.search(text)
            assert (found and found.span()) == (expected and expected.span()), (name, text)
    assert matched >= 50, f"{name}: the generator made too few matching texts to test the screen"


def test_screened_patterns_on_the_labelled_sets() -> None:
    texts = _labelled_texts()
    for name, screen in _screened_patterns():
        for text in texts:
            assert _spans(screen, text) == _spans(screen.pattern, text), (name, text)
            found, expected = screen.search(text), screen.pattern.search(text)
            assert (found and found.group(0)) == (expected and expected.group(0)), (name, text)


def test_a_pattern_cuts_into_its_top_level_alternatives() -> None:
    assert top_level_alternatives(r"a|(b|c)|[|]|\||x(?:y|z)") == ["a", "(b|c)", "[|]", r"\|", "x(?:y|z)"]
    assert top_level_alternatives(r"[]|]|[^]|]|(?<!a|b)c") == ["[]|]", "[^]|]", "(?<!a|b)c"]
    assert top_level_alternatives("one") == ["one"]
    for pattern, flags in (
        ("(?i)a|b", 0),
        ("a  # x|y\n|b", re.VERBOSE),
        ("(a)(b)|(c)\\1", 0),
        ("(a)?(?(1)b|c)|d", 0),
    ):
        with pytest.raises(ValueError, match="cannot be cut"):
            top_level_alternatives(pattern, flags)


def test_alternatives_give_the_leftmost_match_and_at_one_position_the_first() -> None:
    pattern = r"\bab|a\w+ing|xyz|\bnext (?:task|one)\b|task \d"
    alternatives = screened_alternatives(pattern, re.IGNORECASE)
    for text in (
        "xyz abcing",
        "abcing xyz",
        "the next task 3",
        "ABSTAIN then task 1",
        "nothing",
        "zz task 2",
    ):
        found, expected = alternatives.search(text), alternatives.pattern.search(text)
        assert (found and found.span()) == (expected and expected.span()), text
    assert alternatives.search("abcing").group(0) == "ab"  # two match at 0: the first wins
    assert alternatives.search("I prefer the next one").group(0) == "next one"


def test_needles_are_words_every_match_holds() -> None:
    assert needles(re.compile(r"\bfoo\b|bar")) == {"foo", "bar"}
    assert needles(re.compile(r"colou?r")) in ({"colo"}, {"r"})  # "u?" may be absent
    assert needles(re.compile(r"x|y?")) is None  # the second alternative needs nothing
    assert needles(re.compile(r"[.,;:][,;]")) == {a + b for a in ".,;:" for b in ",;"}
    assert needles(re.compile(r"Task \d", re.IGNORECASE)) == {"task "}
    assert needles(re.compile(r"\d+")) is None


def test_text_outside_ascii_always_reaches_the_pattern() -> None:
    # under IGNORECASE "s" matches the long s and "k" the Kelvin sign: no substring test sees it
    screen = screened(r"tasks", re.IGNORECASE)
    assert screen.search("ta\u017fk\u017f") is not None
    assert screen.search("TAS\u212aS") is not None
    assert screen.search("chores") is None


def test_a_tail_search_finds_what_a_whole_search_finds() -> None:
    rng = random.Random(3)
    words = ["and", "for instance", "called", "the", "e.g", "word", "了", "以及他们", "的", "，", "x"]
    texts = _labelled_texts()
    for _ in range(3000):
        texts.append(
            " ".join(rng.choice(words) for _ in range(rng.randint(1, 6)))
            + rng.choice(["", " ", "\n", "  \n"])
        )
    for text in texts:
        for pattern, longest in ((DANGLING_END, DANGLING_LONGEST), (_ZH_DANGLING_END, _ZH_DANGLING_LONGEST)):
            found, expected = search_tail(pattern, text, longest), pattern.search(text)
            assert (found and found.span()) == (expected and expected.span()), text


def test_markers_on_one_line_are_what_a_scan_finds() -> None:
    for text in _labelled_texts() + ["1. One", "  (2) two", "Step 3: go", "第二，去", "x 1. y"]:
        line = text.replace("\n", " ")
        assert markers(line) == [_number(match) for match in _MARKER.finditer(line)]


def test_rouge_l_is_rouge_scores_to_the_last_bit() -> None:
    rng = random.Random(5)
    vocabulary = ["a", "b", "c", "the", "中", "文", "1"]
    for _ in range(2000):
        a = [rng.choice(vocabulary) for _ in range(rng.randint(0, 30))]
        b = [rng.choice(vocabulary) for _ in range(rng.randint(0, 30))]
        assert rouge_l_f1(a, b) == rouge_score_f1(a, b)


def test_template_grams_are_the_shared_n_grams() -> None:
    grams = template_ngrams()
    for text in _labelled_texts() + [" ".join(" ".join(gram) for gram in sorted(grams)[:50])]:
        for run in _runs(text):
            assert _template_grams(run) == _ngrams(run) & grams


def test_a_rouge_l_out_of_reach_is_below_its_threshold() -> None:
    rng = random.Random(8)
    for _ in range(5000):
        a = [rng.choice("abcdef") for _ in range(rng.randint(0, 40))]
        b = [rng.choice("abcdef") for _ in range(rng.randint(0, 40))]
        for numerator, denominator in ((1, 2), (7, 10), (3, 4)):
            if not may_reach(a, b, numerator, denominator):
                assert rouge_l_f1(a, b) < numerator / denominator
