"""One pass for many needles finds exactly what a substring test per needle finds."""

import random
import subprocess
import sys

import pytest

from pipeline.curate.needle_scan import NeedleSet

_ALPHABET = "abcAB ,.{}\n\\"


def _needles(rng: random.Random, folded: bool) -> list[str]:
    found = {
        "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(1, 5))) for _ in range(rng.randint(1, 90))
    }
    return sorted({needle.lower() for needle in found} if folded else found)


@pytest.mark.parametrize("folded", [True, False])
def test_the_automaton_finds_what_substring_tests_find(folded: bool) -> None:
    rng = random.Random(folded)
    for _ in range(200):
        needle_set = NeedleSet(folded, compiled_after=0)
        needles = _needles(rng, folded)
        bits = {needle: needle_set.mask(needle) for needle in needles}
        assert len(set(bits.values())) == len(needles)  # a bit each
        for _ in range(20):
            text = "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 60)))
            found = needle_set.present(text)
            assert found is not None
            seen = text.lower() if folded else text
            assert {needle for needle in needles if found & bits[needle]} == {
                needle for needle in needles if needle in seen
            }, text


def test_needles_inside_and_overlapping_others_are_all_found() -> None:
    needle_set = NeedleSet(folded=False, compiled_after=0)
    bits = {needle: needle_set.mask(needle) for needle in ("task", "tasks", "ask", "sk", "k", "asks", "ks.")}
    found = needle_set.present("multitasks.")
    assert found is not None
    assert {needle for needle, bit in bits.items() if found & bit} == {
        "task",
        "tasks",
        "ask",
        "sk",
        "k",
        "asks",
        "ks.",
    }


def test_folding_is_for_ascii_letters_and_an_exact_set_does_not_fold() -> None:
    folded, exact = NeedleSet(folded=True, compiled_after=0), NeedleSet(folded=False, compiled_after=0)
    task, brace = folded.mask("task"), folded.mask("{")
    assert folded.present("A TASK {") == task | brace
    upper = exact.mask("Input")
    assert exact.present("input") == 0
    assert exact.present("Input:") == upper


def test_a_needle_added_later_is_found_and_old_answers_are_not_kept() -> None:
    needle_set = NeedleSet(folded=True, compiled_after=0)
    first = needle_set.mask("json")
    assert needle_set.present("give json here") == first
    later = needle_set.mask("here")  # a pattern compiled on first use registers its needles
    assert needle_set.present("give json here") == first | later
    assert needle_set.mask("json", "here") == first | later  # the same bits again


def test_nothing_is_answered_before_the_set_is_compiled() -> None:
    needle_set = NeedleSet(folded=True, compiled_after=3)
    bit = needle_set.mask("x")
    assert [needle_set.present(text) for text in ("x", "y", "x")] == [None, None, None]
    assert needle_set.present("x") == bit
    assert needle_set.present("y") == 0


def test_the_empty_needle_is_in_every_text_and_a_needle_must_be_ascii() -> None:
    needle_set = NeedleSet(folded=False, compiled_after=0)
    empty = needle_set.mask("")
    assert needle_set.present("") == empty
    assert needle_set.present("abc") == empty
    with pytest.raises(ValueError, match="ASCII"):
        needle_set.mask("任务")
    with pytest.raises(UnicodeEncodeError):  # screens send ASCII text only
        needle_set.present("任务")


def _run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_small_run_of_the_checks_does_not_load_the_compiler() -> None:
    code = (
        "import sys\n"
        "from pipeline.curate.config import StructureConfig\n"
        "from pipeline.curate.structure import check_structure\n"
        "from pipeline.records import AlpacaRecord, Lineage\n"
        "record = AlpacaRecord(instruction='Write a haiku about the sea.', output='Waves fold into foam.',\n"
        "                      lineage=Lineage(generator='imported'))\n"
        "for _ in range(100):\n"
        "    check_structure(record, StructureConfig())\n"
        "print('numba' in sys.modules)\n"
    )
    assert _run(code) == "False"


def test_the_automaton_compiles_without_a_writable_cache_directory() -> None:
    code = (
        "import numba.core.caching as caching\n"
        "caching.CacheImpl._locator_classes = []\n"
        "from pipeline.curate.needle_scan import NeedleSet\n"
        "from pipeline.curate import needle_kernel\n"
        "needles = NeedleSet(folded=True, compiled_after=0)\n"
        "bit = needles.mask('task')\n"
        "print(needles.present('A TASK') == bit, needle_kernel._scan.stats.cache_hits)\n"
    )
    assert _run(code) == "True Counter()"
