import pytest

from pipeline.generate.self_instruct.parse_instances import (
    ParsedInstance,
    normalize_input,
    parse_classification,
    parse_instances,
)


def test_input_first_json_with_prose_and_several_instances() -> None:
    text = (
        'Here you go!\n{"instances": [{"input": "25 km", "output": "15.5 miles"}, '
        '{"input": "<noinput>", "output": "A kilometre is 0.62 miles."}]}\nDone.'
    )
    parsed = parse_instances(text, classification=False)
    assert parsed.instances == [
        ParsedInstance("25 km", "15.5 miles"),
        ParsedInstance("", "A kilometre is 0.62 miles."),
    ]


def test_label_first_json_becomes_input_and_label_output() -> None:
    text = (
        '{"instances": [{"class_label": "Spam", "input": "WIN A CAR NOW"}, '
        '{"class_label": "Not spam", "input": "Lunch at 1?"}]}'
    )
    parsed = parse_instances(text, classification=True)
    assert parsed.instances == [
        ParsedInstance("WIN A CAR NOW", "Spam"),
        ParsedInstance("Lunch at 1?", "Not spam"),
    ]


def test_cut_off_json_keeps_complete_instances() -> None:
    text = (
        '{"instances": [{"input": "3 + 4", "output": "7"}, {"input": "10 - 2", "output": "8"}, '
        '{"input": "6 * 7", "outp'
    )
    parsed = parse_instances(text, classification=False, truncated=True)
    assert parsed.instances == [ParsedInstance("3 + 4", "7"), ParsedInstance("10 - 2", "8")]


def test_labelled_text_in_english_and_chinese_with_full_width_colons() -> None:
    english = (
        'Example 1\nInput: "How are you?"\nOutput: I am fine,\nthanks for asking.\n'
        "Example 2\nInput: <noinput>\nOutput: Hello there."
    )
    parsed = parse_instances(english, classification=False)
    assert parsed.instances == [
        ParsedInstance("How are you?", "I am fine,\nthanks for asking."),
        ParsedInstance("", "Hello there."),
    ]
    chinese = (
        "示例1\n输入：今天天气很好。\n输出：The weather is nice today.\n示例2\n输入：<无输入>\n输出：你好。"
    )
    parsed = parse_instances(chinese, classification=False)
    assert parsed.instances == [
        ParsedInstance("今天天气很好。", "The weather is nice today."),
        ParsedInstance("", "你好。"),
    ]
    labelled = "类别标签：积极\n输入：这家店的服务太棒了！\n类别标签：消极\n输入：等了一个小时还没上菜。"
    parsed = parse_instances(labelled, classification=True)
    assert [i.output for i in parsed.instances] == ["积极", "消极"]


def test_truncated_text_loses_its_last_instance() -> None:
    text = "Example 1\nInput: 2, 4\nOutput: 6\nExample 2\nInput: 5, 9\nOutput: 1"
    parsed = parse_instances(text, classification=False, truncated=True)
    assert parsed.instances == [ParsedInstance("2, 4", "6")]
    assert parsed.dropped["truncated"] == 1


def test_ambiguous_duplicate_placeholder_and_echoed_examples_are_dropped() -> None:
    text = (
        '{"instances": [{"input": "apple", "output": "fruit"}, {"input": "apple", "output": "tree"},'
        ' {"input": "carrot", "output": "vegetable"}, {"input": "carrot", "output": "vegetable"},'
        ' {"input": "...", "output": "x"}, {"input": "", "output": "}],"},'
        ' {"input": "25 °C", "output": "77 °F"}]}'
    )
    parsed = parse_instances(text, classification=False, examples=frozenset({"25 °c", "25 °c is 77 °f."}))
    assert parsed.instances == [ParsedInstance("carrot", "vegetable")]
    assert parsed.dropped == {
        "conflicting_outputs": 2,
        "duplicate_instance": 1,
        "placeholder": 2,
        "copied_example": 1,
    }


def test_garbage_is_a_reason_not_a_crash() -> None:
    assert parse_instances("", classification=False).failure == "empty_response"
    assert parse_instances("I am not sure.", classification=True).failure == "unparseable_response"
    only_placeholders = '{"instances": [{"class_label": "Positive", "input": "..."}]}'
    assert parse_instances(only_placeholders, classification=True).failure == "no_valid_instance"


@pytest.mark.parametrize(
    "marker",
    [
        "<noinput>",
        "<noinput",
        "<no input>",
        "No input",
        "<无输入>",
        "无输入",
        "（无）",
        "",
        "  ",
        '"<noinput>"',
        "N/A",
    ],
)
def test_no_input_markers_become_the_empty_input(marker: str) -> None:
    assert normalize_input(marker) == ""


def test_real_inputs_survive_normalisation() -> None:
    assert normalize_input("  None of the above applies here. ") == "None of the above applies here."


@pytest.mark.parametrize(
    "text, verdict",
    [
        ('{"is_classification": true}', True),
        ('{"is_classification": false}', False),
        ("Yes", True),
        ("No.", False),
        ("yes, it is", True),
        ("是", True),
        ("否", False),
        ("不是分类任务", False),
        ("Nope, never", None),
        ("", None),
        (None, None),
        ('{"is_classification": "yes"}', True),
    ],
)
def test_classification_verdicts(text: str | None, verdict: bool | None) -> None:
    assert parse_classification(text) is verdict


def test_json_debris_and_copied_example_lines_are_no_output() -> None:
    from pipeline.generate.self_instruct.templates import template_set

    examples = template_set("en").instances.example_texts()
    text = (
        '{"instances": [{"input": "x", "output": "}]}2, {"}, {"input": "", "output": '
        '"1. Go to bed and wake up at the same time every day."}, {"input": "3 + 4", "output": "7"},'
        ' {"input": "Tips:\\n3. Avoid caffeine after lunch.\\nMore", "output": "Sleep well."}]}'
    )
    parsed = parse_instances(text, classification=False, examples=examples)
    assert parsed.instances == [ParsedInstance("3 + 4", "7")]
    assert parsed.dropped == {"placeholder": 1, "copied_example": 2}
