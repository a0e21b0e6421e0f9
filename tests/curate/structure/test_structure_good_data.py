"""Ordinary good records that rules written for generator defects must leave alone (found in a
review of those rules: each was dropped by a first version of them)."""

from pathlib import Path

import pytest

from pipeline.curate.config import StructureConfig
from pipeline.curate.io import to_record
from pipeline.curate.structure import check_structure
from pipeline.curate.structure.lists import markers


def _verdict(instruction: str, output: str, given: str = "") -> object:
    record = to_record({"instruction": instruction, "input": given, "output": output}, Path("t"), 1)
    return check_structure(record, StructureConfig())


@pytest.mark.parametrize(
    ("instruction", "given", "output"),
    [
        (
            "Create an HTML form with an input field for the user's email address.",
            "",
            '<form><input type="email" name="email"></form>',
        ),
        (
            "How should I write a recipe?",
            "",
            "The instructions should be numbered and short, one action per step.",
        ),
        (
            "Generate a task list for moving to a new apartment.",
            "",
            "1. Book movers.\n2. Pack the kitchen.\n3. Update your address.",
        ),
        (
            "How can a company widen its hiring pool?",
            "",
            "To maximize diversity, post openings on many job boards.",
        ),
        ("课堂活动怎样设计才好？", "", "课堂任务要多样化，让每个学生都能参与。"),
        (
            "What kind of machine learning problem is spam detection?",
            "",
            "It is a classification task: each email is spam or not.",
        ),
        (
            "As an HR manager, rewrite this email more politely.",
            "Subject: Late again\nYou are late.",
            "Subject: Punctuality\nPlease try to arrive on time.",
        ),
        (
            "As a customer service agent, reply to this complaint.",
            "My order arrived broken and I want a refund.",
            "I apologize for the trouble. I have issued a full refund.",
        ),
        (
            "Answer the question using the passage: what did the writer buy?",
            "I went to the market and I bought apples and bread.",
            "I bought apples and bread.",
        ),
        (
            "Write the diary entry for the third day of the trip.",
            "",
            "Day 3: Today we walked to the old lighthouse and watched the seals.",
        ),
        ("描述旅行第三天的感受。", "", "第三天，我已经熟悉了这座城市的街道。"),
        ("Give a short warm-up routine.", "", "- Jumping jacks 20 times\n- Squats 15 times"),
        ("说明删除账号的步骤。", "", "1. 打开设置\n2. 点击删除"),
        (
            "What is LaTeX and who created it?",
            "",
            "A typesetting system; Leslie Lamport wrote LaTeX on top of TeX.",
        ),
        (
            "What is the ideal temperature for brewing green tea?",
            "",
            "Just below boiling, around eighty degrees Celsius.",
        ),
        ("在苹果、香蕉和橙子中，哪种含糖量最低？", "", "苹果的含糖量最低。"),
        (
            "Which is healthier: baked potatoes or french fries?",
            "",
            "A baked potato is healthier than fries.",
        ),
        ("概括这首诗表达的情感：床前明月光，疑是地上霜。举头望明月，低头思故乡。", "", "思乡之情。"),
        (
            "Describe your ideal weekend in one word, then explain why.",
            "",
            "Quiet. I like to read and rest at home.",
        ),
        ("接着上面的故事写一段结尾。", "小明终于找到了回家的路。", "他推开家门，妈妈正在厨房里等他吃饭。"),
        ("What does the escape sequence \\u00e9 stand for?", "", "The letter é, e with an acute accent."),
    ],
)
def test_good_records_are_kept(instruction: str, given: str, output: str) -> None:
    assert _verdict(instruction, output, given) is None


def test_copies_of_the_input_are_still_dropped() -> None:
    message = "Call me on 555 0142 after six."
    assert _verdict("Extract the phone number from this message.", message, message) is not None


def test_roman_numbers_past_ten_and_long_blank_runs_are_read() -> None:
    assert markers("Chapter XII: The Storm") == []  # no crash: read as no list item
    assert _verdict("Outline the novel.", "Chapter XII: The detective finds the key.") is None
    long_blank = "Start " + "\n" * 3000 + " end"
    assert _verdict("Summarise the note in one word.", "Nothing.", long_blank) is None
