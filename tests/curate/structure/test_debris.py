import pytest

from pipeline.curate.structure.asks import reading
from pipeline.curate.structure.debris import debris


@pytest.mark.parametrize(
    "text",
    [
        "Extract the flight number. Answer with label as 'True' }, {",
        "The area of the rectangle is 15.0}, {",
        "Which planet is the largest in our solar system.,",
        "French translation correctly conveys the English sentence..",
        "2019-06-30: Fix the bug in the current code.",
        "24 .",
        '"Describe the smell of fresh rain.",',
        ", x:",
        "Earthy and clean</p>",
        "3000米\n```json",
    ],
)
def test_debris(text: str) -> None:
    assert debris(text, structured=False) is not None


@pytest.mark.parametrize(
    "text",
    [
        "Wait... then go on.",
        "It costs 2.50 dollars, i.e. cheap.",
        '{"name": "Ann", "age": 31}',
        "A set {1, 2, 3} has three elements.",
    ],
)
def test_not_debris(text: str) -> None:
    assert debris(text, structured=False) is None


def test_json_tasks_keep_their_braces_but_not_the_seams_between_items() -> None:
    assert debris('{"apple": "red", "banana": "yellow"}', structured=True) is None
    assert debris("h1 {\n  color: blue;\n}", structured=True) is None
    assert debris('{"input": "a"}, {"input": "b"', structured=True) is not None


def test_escaped_markup_is_debris_unless_markup_is_the_subject() -> None:
    assert debris("Explain why soup needs salt.&lt;br&gt;", structured=False) == "&lt;"
    assert debris("解释面包为什么会发霉。&amp;nbsp;", structured=False) == "&amp;"
    assert debris("Write &lt; for a less-than sign in HTML.", structured=True) is None


@pytest.mark.parametrize(
    "text",
    [
        "Tea is best at 80 °C.<|endoftext|>",
        "<s>[INST] Name a river. [/INST]",
        "Name a river.</instruction>\n<input>",
        "It\\u2019s a long river.",
        '"Boil it for ten minutes.',
        "长江很长。\n</output>",
    ],
)
def test_template_tokens_field_tags_and_stray_quotes(text: str) -> None:
    assert debris(text, structured=False) is not None


@pytest.mark.parametrize(
    "text",
    [
        "output: |\n  A barista prepares and serves coffee drinks.",
        "Sunny Side Bakery<!-- end of answer -->",
        "Bees dance to tell each other where flowers are.</code></pre>",
        '{"answer": "The Danube flows through Budapest."}',
        '{"回答": "长江流经武汉。"}',
    ],
)
def test_answer_wrappers_and_format_seams(text: str) -> None:
    assert debris(text, structured=False) is not None


def test_a_json_answer_asked_for_or_with_fields_of_its_own_is_no_wrapper() -> None:
    assert debris('{"answer": "42"}', structured=True) is None
    assert debris('{"city": "Lyon", "country": "France"}', structured=False) is None


def test_a_question_about_a_special_token_may_name_it() -> None:
    task = "What does the token <s> mean to a tokenizer?"
    assert debris(task, reading(task, False).markup) is None
