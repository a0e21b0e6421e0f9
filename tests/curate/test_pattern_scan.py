"""The Hyperscan pass behind the screens: a pattern it leaves out of a text's set must not
match that text, so the rewrite of every registered pattern is checked against Python's own
engine on generated, labelled and awkward texts."""

from __future__ import annotations

import itertools
import random
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from re import _parser  # type: ignore[attr-defined]

import pytest

import pipeline.curate.output_checks
import pipeline.curate.repetition
import pipeline.curate.structure  # noqa: F401  (every module whose patterns are screened)
from pipeline.curate import pattern_scan
from pipeline.curate.config import OutputCheckConfig, StructureConfig
from pipeline.curate.io import to_record
from pipeline.curate.output_checks import check_outputs
from pipeline.curate.pattern_rewrite import ASCII_FOLDS, NEVER, rewritten
from pipeline.curate.pattern_scan import SCANS, PatternScan
from pipeline.curate.pattern_screen import screened
from pipeline.curate.structure import check_structure
from pipeline.curate.structure.measure import read_labelled
from tests.curate.test_pattern_screen import _FILLER, LABELLED, _generate, _labelled_texts, _recase

sys.path.insert(0, str(LABELLED.parents[1]))  # bench/: the synthetic corpus of the benchmarks
from synthetic_records import record_stream

# texts where Python's and Hyperscan's defaults part: \s holding \x1c-\x1f, $ before a final
# newline, \Z at the very end, case, a vertical tab, a text of one character or none
_AWKWARD = [
    "",
    "a",
    "\n",
    "task\x1c1",
    "Task 1:\n",
    "TASK 1 :\x1f",
    "ends with a dangling the\n",
    "the\x0b",
    '{"a": "b"},\n{',
    "1. Create a table\n2.",
]


@pytest.fixture(scope="module", autouse=True)
def _cache_here(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Compiled databases go to a temporary cache, not the user's."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
        yield


@pytest.fixture(scope="module")
def scan() -> PatternScan:
    fresh = PatternScan()
    for source, flags in SCANS.patterns():
        fresh.register(source, flags)
    fresh.compile()
    return fresh


def test_every_screened_pattern_is_in_the_scan(scan: PatternScan) -> None:
    assert len(SCANS.patterns()) > 90
    assert scan.compiled_ids(ascii=True) == set(range(len(SCANS.patterns())))
    assert scan.compiled_ids(ascii=False) == set(range(len(SCANS.patterns())))


def test_only_four_characters_outside_ascii_fold_onto_it() -> None:
    ascii_class = re.compile(r"[\x00-\x7f]", re.IGNORECASE)
    folding = [
        chr(code)
        for code in range(0x80, 0x110000)
        if not 0xD800 <= code <= 0xDFFF and ascii_class.fullmatch(chr(code))
    ]
    assert "".join(folding) == ASCII_FOLDS


def _folded(text: str, rng: random.Random) -> str:
    """Some letters swapped for the non-ASCII ones IGNORECASE matches to them."""
    swaps = {"s": "\u017f", "k": "\u212a", "K": "\u212a", "i": "\u0131", "I": "\u0130"}
    return "".join(swaps[char] if char in swaps and rng.random() < 0.5 else char for char in text)


def _texts_for(source: str, flags: int, rng: random.Random) -> list[str]:
    tree = list(_parser.parse(source, flags))
    texts = list(_AWKWARD)
    for _ in range(150):
        core = _generate(tree, rng)
        if flags & re.IGNORECASE:
            core = _recase(core, rng)
        before = "".join(rng.choice(_FILLER) for _ in range(rng.randint(0, 3)))
        after = "".join(rng.choice(_FILLER) for _ in range(rng.randint(0, 3)))
        texts += [core, f"{before} {core} {after}", f"{before}{core}{after}", f"{core}\n", f"{core}\x1c"]
        texts += [f"中{core}文", f"{core}\u00e9", _folded(core, rng)]
    return texts


def test_a_pattern_the_scan_leaves_out_does_not_match(scan: PatternScan) -> None:
    rng = random.Random(7)
    labelled = _labelled_texts()
    well_tested = 0
    for pattern_id, (source, flags) in enumerate(SCANS.patterns()):
        compiled = re.compile(source, flags)
        hits = 0
        for text in _texts_for(source, flags, rng) + labelled:
            if compiled.search(text) is not None:
                hits += 1
                assert pattern_id in scan.matched(text), (source[:80], text)  # type: ignore[operator]
        assert hits, f"no text made matches {source[:80]!r}"
        well_tested += hits >= 20
    assert well_tested >= 0.85 * len(SCANS.patterns())  # the others are rarely generated


def test_the_checks_decide_the_same_with_the_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    records = [item.record for path in sorted(LABELLED.glob("*.jsonl")) for item in read_labelled(path)]
    records += [
        to_record(data, Path("synthetic"), line)
        for line, data in enumerate(itertools.islice(record_stream(0, 0.1), 3000))
    ]
    structure, outputs = StructureConfig(), OutputCheckConfig()

    def decisions() -> list[object]:
        return [(check_structure(record, structure), check_outputs(record, outputs)) for record in records]

    SCANS.compile()
    with_scan = decisions()
    SCANS.close()  # the word screens alone
    assert decisions() == with_scan
    SCANS.compile()
    assert sum(structure is not None for structure, _ in with_scan) > 300


def _one(source: str, flags: int) -> tuple[PatternScan, int]:
    scan = PatternScan()
    pattern_id = scan.register(source, flags)
    scan.compile()
    assert scan.compiled_ids(ascii=True) == scan.compiled_ids(ascii=False) == {pattern_id}, source
    return scan, pattern_id


def test_the_rewrite_keeps_pythons_meaning() -> None:
    cases = [  # pattern, flags, texts it may match, texts it cannot
        (r"a\sb", 0, ["a\x1cb", "a\tb", "a\u3000b"], ["ab", "a-b", "a中中b"]),
        (r"task", re.IGNORECASE, ["TaSk", "ta\u017fk", "TAS\u212a"], ["tas", "ta中sk"]),
        (r"(?i:ab)c", 0, ["ABc", "ABc中"], ["ABC", "ABC中"]),
        (r"x$", 0, ["x", "x\n", "中x"], ["x\n\n", "x y", "x中"]),
        (r"x\Z", 0, ["x", "中x"], ["x\n", "x\n中"]),
        (r"^x", 0, ["x y", "x中"], ["y x", "中x"]),
        (r"(?<!a)b", 0, ["ab", "cb"], ["a"]),  # the lookbehind is left out: wider, never narrower
        (r"(\w)\1", 0, ["aa", "ab", "中中"], [" ", " . "]),  # a back reference matches anything
        (r"[^、]x", 0, ["ax", "\nx", "中x"], ["x"]),
        (r"任务|task", 0, ["a task", "新任务"], ["a job", "任 务"]),
        (r"[\u4e00-\u9fff]{2}", 0, ["中文"], ["中", "中 文"]),  # a range: any two characters
        (r"\bcat\b", 0, ["a cat.", "中 cat"], ["cats", "ca中"]),  # \b is left out on Unicode text
        (r"\w+", re.ASCII, ["_"], [" ", "中"]),
        (r"é", re.IGNORECASE, ["É", "é"], ["e", "E"]),  # a cased letter: any non-ASCII one
    ]
    for source, flags, matching, other in cases:
        scan, pattern_id = _one(source, flags)
        for text in matching:
            assert pattern_id in scan.matched(text), (source, text)  # type: ignore[operator]
        for text in other:
            assert re.search(source, text, flags) is None, (source, text)  # the case is wrong
            assert pattern_id not in scan.matched(text), (source, text)  # type: ignore[operator]
    assert rewritten(r"\s", 0) == r"[\x09-\x0d\x1c-\x20]"
    assert rewritten(r"é|中", re.IGNORECASE) == NEVER  # no ASCII text holds either
    assert rewritten(r"中", re.IGNORECASE, utf8=True) == r"\xe4\xb8\xad"  # no case: its bytes


def test_a_lone_surrogate_gets_no_answer() -> None:
    scan, pattern_id = _one("task", 0)
    assert scan.matched("task \ud800") is None
    assert scan.may_match(pattern_id, "task \ud800", ascii=False) is None


def test_a_pattern_matching_empty_text_keeps_its_word_screen() -> None:
    scan = PatternScan()
    empty, useful = scan.register(r"x?", 0), scan.register(r"\d{3}", 0)
    scan.compile()
    assert scan.compiled_ids() == {useful}
    assert scan.may_match(empty, "x", ascii=True) is None


def test_a_process_compiles_only_once_it_has_asked_enough(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pattern_scan, "_WORTH_COMPILING", 3)
    scan = PatternScan()
    pattern_id = scan.register("tasks", 0)
    assert scan.may_match(pattern_id, "tasks", ascii=True) is None
    assert scan.may_match(pattern_id, "tasks", ascii=True) is None
    assert scan.may_match(pattern_id, "tasks", ascii=True) is True  # the third question compiles
    assert scan.may_match(pattern_id, "chores", ascii=True) is False
    assert scan.may_match(pattern_id, "家务", ascii=False) is False


def test_without_hyperscan_the_word_screens_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pattern_scan, "hyperscan", None)
    monkeypatch.setattr(pattern_scan, "_WORTH_COMPILING", 2)
    scan = PatternScan()
    pattern_id = scan.register("tasks", 0)
    for _ in range(5):
        assert scan.may_match(pattern_id, "tasks", ascii=True) is None
    scan.compile()
    assert scan.compiled_ids() == set()


def test_a_screen_answers_the_same_with_the_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    scan = PatternScan()
    monkeypatch.setattr("pipeline.curate.pattern_screen.SCANS", scan)
    screen = screened(r"\b(?:next|other) tasks?\b", re.IGNORECASE)
    scan.compile()
    assert screen._scan_id in scan.compiled_ids()
    texts = ("The NEXT task", "next", "tasks", "other\x1ctasks", "other tasks 中", "next ta\u017fk", "中")
    for text in texts:
        found, expected = screen.search(text), screen.pattern.search(text)
        assert (found and found.span()) == (expected and expected.span()), text
    assert screen.ruled_out("中") and screen.ruled_out("tasks")  # Chinese text ruled out too


def test_compiled_databases_are_kept_on_disk_for_later_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = PatternScan()
    pattern_id = first.register(r"\bnext tasks?\b", re.IGNORECASE)
    first.compile()
    stored = sorted((tmp_path / "seedforge" / "pattern-scan").glob("*.hsdb"))
    assert len(stored) == 2  # the ASCII form and the UTF-8 form

    def no_compiling(expressions: object) -> None:
        raise AssertionError("compiled again instead of loaded")

    monkeypatch.setattr(pattern_scan, "_compiled", no_compiling)
    later = PatternScan()
    later.register(r"\bnext tasks?\b", re.IGNORECASE)
    later.compile()
    assert later.may_match(pattern_id, "the NEXT task", ascii=True) is True
    assert later.may_match(pattern_id, "下一个 next task", ascii=False) is True
    assert later.may_match(pattern_id, "chores", ascii=True) is False


def test_databases_no_process_loaded_for_a_month_are_removed_when_one_is_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import time

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    folder = tmp_path / "seedforge" / "pattern-scan"
    folder.mkdir(parents=True)
    month_ago = time.time() - (pattern_scan.UNUSED_DAYS + 1) * 86_400
    stale, recent, other = folder / "old-version.hsdb", folder / "other-install.hsdb", folder / "notes.txt"
    for path in (stale, recent, other):
        path.write_bytes(b"[]\n")
    os.utime(stale, (month_ago, month_ago))
    os.utime(other, (month_ago, month_ago))
    first = PatternScan()
    first.register("tasks", 0)
    first.compile()
    current = sorted(path.name for path in folder.glob("*.hsdb") if path not in (stale, recent))
    assert current and not stale.exists() and recent.exists() and other.exists()
    for name in current:  # loading marks a database as in use
        os.utime(folder / name, (month_ago, month_ago))
    later = PatternScan()
    later.register("tasks", 0)
    later.compile()
    assert all((folder / name).stat().st_mtime > month_ago + 86_400 for name in current)


def test_a_damaged_cache_file_is_compiled_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = PatternScan()
    first.register("tasks", 0)
    first.compile()
    for stored in (tmp_path / "seedforge" / "pattern-scan").glob("*.hsdb"):
        stored.write_bytes(stored.read_bytes()[:100])  # cut short, as a full disk would
    later = PatternScan()
    pattern_id = later.register("tasks", 0)
    later.compile()
    assert later.may_match(pattern_id, "two tasks", ascii=True) is True
    assert later.may_match(pattern_id, "two chores", ascii=True) is False


def test_an_unwritable_cache_only_costs_the_compile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    scan = PatternScan()
    pattern_id = scan.register("tasks", 0)
    scan.compile()
    assert scan.may_match(pattern_id, "tasks", ascii=True) is True


def test_constructs_that_once_broke_the_compile_fall_back_or_scan() -> None:
    scan = PatternScan()
    scoped_ascii = scan.register(r"(?a:\w)x", re.compile(r"(?a:\w)x").flags)
    surrogate = scan.register("x\ud800", re.compile("x\ud800").flags)
    scan.compile()  # neither raises
    assert scan.may_match(scoped_ascii, "ax", ascii=True) is True
    assert scan.may_match(scoped_ascii, "\u00e9x", ascii=False) is False  # (?a:) \w is ASCII
    assert re.search(r"(?a:\w)x", "\u00e9x") is None
    assert scan.may_match(surrogate, "x", ascii=True) is False
    assert scan.may_match(surrogate, "x\u00e9", ascii=False) is None  # the pattern decides


def test_matched_is_none_where_a_form_compiled_nothing() -> None:
    scan = PatternScan()
    scan.register("x\ud800", 0)
    scan.compile()
    assert scan.matched("x\u00e9") is None
