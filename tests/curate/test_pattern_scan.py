"""The Hyperscan pass behind the screens: a pattern it leaves out of a text's set must not
match that text, so the rewrite of every registered pattern is checked against Python's own
engine on generated, labelled and awkward texts."""

from __future__ import annotations

import itertools
import random
import re
import sys
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
from pipeline.curate.pattern_scan import SCANS, PatternScan, rewritten
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


@pytest.fixture(scope="module")
def scan() -> PatternScan:
    fresh = PatternScan()
    for source, flags in SCANS.patterns():
        fresh.register(source, flags)
    fresh.compile()
    return fresh


def test_every_screened_pattern_is_in_the_scan(scan: PatternScan) -> None:
    assert len(SCANS.patterns()) > 90
    assert scan.compiled_ids == set(range(len(SCANS.patterns())))


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
    return [text for text in texts if text.isascii()]


def test_a_pattern_the_scan_leaves_out_does_not_match(scan: PatternScan) -> None:
    rng = random.Random(7)
    labelled = [text for text in _labelled_texts() if text.isascii()]
    well_tested = 0
    for pattern_id, (source, flags) in enumerate(SCANS.patterns()):
        compiled = re.compile(source, flags)
        hits = 0
        for text in _texts_for(source, flags, rng) + labelled:
            if compiled.search(text) is not None:
                hits += 1
                assert pattern_id in scan.matched(text), (source[:80], text)
        assert hits or not source.isascii(), f"no ASCII text made matches {source[:80]!r}"
        well_tested += hits >= 20
    assert well_tested >= 0.85 * len(SCANS.patterns())  # the others: Chinese, or rarely generated


def test_the_checks_decide_the_same_with_the_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    records = [item.record for path in sorted(LABELLED.glob("*.jsonl")) for item in read_labelled(path)]
    records += [
        to_record(data, Path("synthetic"), line)
        for line, data in enumerate(itertools.islice(record_stream(0, 0.1), 3000))
    ]
    structure, outputs = StructureConfig(), OutputCheckConfig()

    def decisions() -> list[object]:
        return [(check_structure(record, structure), check_outputs(record, outputs)) for record in records]

    if not SCANS.compiled_ids:
        SCANS.compile()
    with_scan = decisions()
    monkeypatch.setattr(SCANS, "compiled_ids", frozenset())
    assert decisions() == with_scan
    assert sum(structure is not None for structure, _ in with_scan) > 300


def test_the_rewrite_keeps_pythons_meaning_on_ascii() -> None:
    cases = [
        (r"a\sb", 0, ["a\x1cb", "a\tb"], ["ab", "a-b"]),
        (r"task", re.IGNORECASE, ["TaSk"], ["tas"]),
        (r"(?i:ab)c", 0, ["ABc"], ["ABC"]),
        (r"x$", 0, ["x", "x\n"], ["x\n\n", "x y"]),
        (r"x\Z", 0, ["x"], ["x\n"]),
        (r"^x", 0, ["x y"], ["y x"]),
        (r"(?<!a)b", 0, ["ab", "cb"], ["a"]),  # the lookbehind is left out: wider, never narrower
        (r"(\w)\1", 0, ["aa", "ab"], [" "]),  # a back reference matches anything
        (r"[^、]x", 0, ["ax", "\nx"], ["x"]),
        (r"任务|task", 0, ["a task"], ["a job"]),
        (r"\bcat\b", 0, ["a cat."], ["cats"]),
        (r"\w+", re.ASCII, ["_"], [" "]),
    ]
    for source, flags, matching, other in cases:
        scan = PatternScan()
        pattern_id = scan.register(source, flags)
        scan.compile()
        assert scan.compiled_ids == {pattern_id}, source
        for text in matching:
            assert pattern_id in scan.matched(text), (source, text)
        for text in other:
            assert re.search(source, text, flags) is None or pattern_id in scan.matched(text)
            assert pattern_id not in scan.matched(text), (source, text)
    assert rewritten(r"\s", 0) == r"[\x09-\x0d\x1c-\x20]"
    assert rewritten(r"é|中", re.IGNORECASE) == r"\xff"  # no ASCII text holds either


def test_a_pattern_matching_empty_text_keeps_its_word_screen() -> None:
    scan = PatternScan()
    empty, useful = scan.register(r"x?", 0), scan.register(r"\d{3}", 0)
    scan.compile()
    assert scan.compiled_ids == {useful}
    assert empty not in scan.compiled_ids


def test_a_process_compiles_only_once_it_has_asked_enough(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pattern_scan, "_WORTH_COMPILING", 3)
    scan = PatternScan()
    pattern_id = scan.register("tasks", 0)
    assert scan.matched("tasks") is None
    assert scan.matched("tasks") is None
    assert scan.matched("tasks") == {pattern_id}  # the third question compiles
    assert scan.matched("chores") == set()


def test_without_hyperscan_the_word_screens_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pattern_scan, "hyperscan", None)
    scan = PatternScan()
    scan.register("tasks", 0)
    for _ in range(5):
        assert scan.matched("tasks") is None
    scan.compile()
    assert scan.compiled_ids == set()


def test_screens_answer_the_same_with_the_scan_compiled(monkeypatch: pytest.MonkeyPatch) -> None:
    scan = PatternScan()
    monkeypatch.setattr("pipeline.curate.pattern_screen.SCANS", scan)
    screen = screened(r"\b(?:next|other) tasks?\b", re.IGNORECASE)
    scan.compile()
    assert screen._scan_id in scan.compiled_ids
    for text in ("The NEXT task", "next", "tasks", "other\x1ctasks", "other tasks 中"):
        assert screen.search(text) == re.search(screen.pattern.pattern, text, re.IGNORECASE) or (
            screen.search(text).span() == screen.pattern.search(text).span()  # type: ignore[union-attr]
        )
