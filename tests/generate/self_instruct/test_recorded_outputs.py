"""The parsers on answers the embedded model really gave to our prompts (recorded once by
tests/generate/self_instruct/fixtures/record_outputs.py; garbage and cut-off answers included)."""

import json
import re
from pathlib import Path

import pytest

from pipeline.generate.self_instruct.parse_instances import (
    NO_INPUT_MARKERS,
    parse_classification,
    parse_instances,
)
from pipeline.generate.self_instruct.parse_instructions import PLACEHOLDERS, parse_instructions
from pipeline.generate.self_instruct.templates import template_set

FIXTURES = json.loads(
    Path(__file__).with_name("fixtures").joinpath("embedded_outputs.json").read_text(encoding="utf-8")
)
BY_NAME = {fixture["name"]: fixture for fixture in FIXTURES}
LEADING_NUMBER = re.compile(r"^\s*(?:\d+|[一二三四五六七八九十]+)\s*[.)、．]")


def _parse(fixture: dict):
    cut = fixture["finish_reason"] == "length"
    if fixture["kind"] == "instructions":
        return parse_instructions(fixture["text"], truncated=cut)
    if fixture["kind"] == "classify":
        return parse_classification(fixture["text"])
    templates = template_set(fixture["language"])
    template = templates.class_instances if fixture["kind"] == "class_instances" else templates.instances
    return parse_instances(
        fixture["text"],
        classification=fixture["kind"] == "class_instances",
        truncated=cut,
        examples=template.example_texts(),
    )


def test_fixtures_cover_both_languages_formats_steps_and_cut_answers() -> None:
    assert {(f["language"], f["format"], f["kind"]) for f in FIXTURES} == {
        (lang, fmt, kind)
        for lang in ("en", "zh")
        for fmt in ("json", "text")
        for kind in ("instructions", "classify", "instances", "class_instances")
    }
    assert sum(f["finish_reason"] == "length" for f in FIXTURES) >= 10


@pytest.mark.parametrize("name", [f["name"] for f in FIXTURES if f["kind"] == "instructions"])
def test_recorded_instruction_answers(name: str) -> None:
    fixture = BY_NAME[name]
    parsed = _parse(fixture)
    assert (parsed.failure is None) == bool(parsed.instructions)
    assert parsed.failure in (None, "empty_response", "unparseable_response")
    keys = [item.casefold() for item in parsed.instructions]
    assert len(keys) == len(set(keys))
    for item in parsed.instructions:
        assert item == item.strip() and item.casefold() not in PLACEHOLDERS
        assert not LEADING_NUMBER.match(item), item
    flat = " ".join(fixture["text"].split())
    for item in parsed.instructions:  # what was kept is the model's own text, not a fragment
        assert item[:12] in flat, item


@pytest.mark.parametrize("name", [f["name"] for f in FIXTURES if "instances" in f["kind"]])
def test_recorded_instance_answers(name: str) -> None:
    parsed = _parse(BY_NAME[name])
    assert (parsed.failure is None) == bool(parsed.instances)
    for instance in parsed.instances:
        assert instance.output.strip()
        assert instance.input == "" or instance.input.strip().casefold() not in NO_INPUT_MARKERS


@pytest.mark.parametrize("name", [f["name"] for f in FIXTURES if f["kind"] == "classify"])
def test_recorded_classification_answers(name: str) -> None:
    fixture = BY_NAME[name]
    verdict = _parse(fixture)
    if fixture["format"] == "json":
        assert isinstance(verdict, bool)  # schema-constrained: always readable
    else:
        assert verdict in (True, False, None)


def test_specific_recorded_answers() -> None:
    good = _parse(BY_NAME["en-json-instructions-0"])
    assert good.source == "json" and len(good.instructions) == 7
    assert good.instructions[0].startswith("Extract the flight number, departure city")
    cut = _parse(BY_NAME["en-json-instructions-0-cut"])  # 40 tokens: one task closed in time
    assert cut.source == "cut_json" and cut.instructions == good.instructions[:1]
    stray = _parse(BY_NAME["en-json-instructions-2"])  # '] 1. Drafting ...' inside the JSON string
    assert stray.instructions[0].startswith("Drafting a thank-you note")
    listed = _parse(BY_NAME["en-text-instructions-1"])  # "1. Here is a list of tasks:" is no task
    assert listed.source == "lines" and not any(i.startswith("Here is") for i in listed.instructions)
    assert len(listed.instructions) == 7
    one_string = _parse(BY_NAME["zh-json-instructions-0"])  # a whole numbered list in one string
    assert len(one_string.instructions) >= 5
    assert _parse(BY_NAME["zh-json-instructions-1-cut"]).failure == "unparseable_response"
    labelled = _parse(BY_NAME["zh-json-class_instances-9"])
    assert [i.output for i in labelled.instances] == ["商品", "情感倾向"]  # label first, read as output
    echoed = _parse(BY_NAME["en-json-class_instances-10"])  # the worked example, copied
    assert echoed.failure == "no_valid_instance" and echoed.dropped["copied_example"] == 2
    marker_in_output = _parse(BY_NAME["zh-text-instances-7"])
    assert not any(i.output.startswith("<无输入>") for i in marker_in_output.instances)
    cut_text = _parse(BY_NAME["en-text-instances-8-cut"])
    assert cut_text.dropped["truncated"] == 1 and len(cut_text.instances) == 1
