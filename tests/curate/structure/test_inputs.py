"""missing_input: an instruction pointing at material the record does not hold."""

from pathlib import Path

import pytest

from pipeline.curate.config import StructureConfig
from pipeline.curate.io import to_record
from pipeline.curate.structure import check_structure
from pipeline.curate.structure.inputs import missing_input


@pytest.mark.parametrize(
    ("instruction", "given", "term"),
    [
        ("Summarize the following article.", "", "'the following article' and the input is empty"),
        ("Translate the following sentence into French.", "", "'the following sentence'"),
        ("Sort the given list of numbers in ascending order.", "", "'the given list'"),
        ("What is the main idea of the passage below?", "", "'the passage below'"),
        (
            "Find the errors in the following code snippet and correct them.",
            "<noinput>",
            "'the following code'",
        ),
        ("Answer the question based on the above.", "N/A", "'the above'"),
        ("Can you explain this code?", "", "'explain this code'"),
        ("Tell a funny joke based on this article.", "the lady in the house.", "the input is 5 words"),
        ("Summarize the following paragraph in one sentence.", "Cats.", "the input is 1 words"),
    ],
)
def test_english_references_to_material_that_is_not_there(instruction: str, given: str, term: str) -> None:
    why = missing_input(instruction, given, chinese=False)
    assert why is not None and term in why


@pytest.mark.parametrize(
    ("instruction", "given"),
    [
        ("Translate the following sentence into French: I love reading books.", ""),
        ("Sort the following numbers: 5, 3, 9, 1.", ""),
        ("Rewrite the following sentence in passive voice. The cat chased the mouse.", ""),
        ("Correct the grammar in the following: 'She go to school every day.'", ""),
        ("Write a short story and give this story a title.", ""),
        ("Describe what happened the following day.", ""),
        ("Classify the following review as positive or negative.", "Great product, works as promised!"),
        ("Translate the following sentence into Spanish.", "Hello."),
        (
            "Summarize the following article.",
            "Scientists announced on Monday that a new frog was found in Peru.",
        ),
        ("Given a list of numbers, return the largest.", ""),
        ("Which of the following is a mammal: a shark, a dolphin or a trout?", ""),
        ("What is the capital of France?", ""),
    ],
)
def test_english_instructions_that_hold_their_material_or_point_at_none(instruction: str, given: str) -> None:
    assert missing_input(instruction, given, chinese=False) is None


@pytest.mark.parametrize(
    ("instruction", "given"),
    [
        ("总结下面这篇文章的主要内容。", ""),
        ("把下面的句子翻译成英文。", "无"),
        ("请解释这段代码的作用。", ""),
        ("用一句话概括这篇新闻。", "今天下雨。"),
        ("概括这首诗表达的情感。", ""),  # which poem?
    ],
)
def test_chinese_references_to_material_that_is_not_there(instruction: str, given: str) -> None:
    assert missing_input(instruction, given, chinese=True) is not None


@pytest.mark.parametrize(
    ("instruction", "given"),
    [
        ("把下面的句子翻译成英文：我喜欢读书。", ""),
        ("写一个故事，并给这个故事起一个标题。", ""),
        ("判断下面这条评论是正面还是负面。", "质量很好，推荐购买！"),
        ("给这段话加上标点符号。", "你今晚去哪里玛丽问"),
        ("根据这段文字，回答问题：作者为什么喜欢秋天？", "秋天天高气爽，作者喜欢在田野里散步。"),
        ("中国的首都是哪里？", ""),
    ],
)
def test_chinese_instructions_that_hold_their_material_or_point_at_none(instruction: str, given: str) -> None:
    assert missing_input(instruction, given, chinese=True) is None


def test_the_rule_drops_with_its_reason_and_can_be_turned_off() -> None:
    record = to_record(
        {"instruction": "Summarize the following article.", "input": "", "output": "It is about frogs."},
        Path("t"),
        1,
    )
    verdict = check_structure(record, StructureConfig())
    assert verdict is not None and verdict.reason == "missing_input"
    assert verdict.evidence["field"] == "input" and "the following article" in verdict.evidence["term"]
    assert check_structure(record, StructureConfig(missing_input=False)) is None
