import pytest

from pipeline.curate.structure.answers import cut_short, role_confusion, wrong_type
from pipeline.curate.structure.asks import reading


def _wrong(instruction: str, output: str, given: str = "", classification: bool = False) -> object:
    return wrong_type(reading(instruction, classification), instruction, given, output)


@pytest.mark.parametrize(
    ("instruction", "output"),
    [
        ("Write SQL query to select only the top 5 articles from the news headline dataset.", "Mouse"),
        ("Write a Python function to reverse a string.", "The string is reversed."),
        ("Write a short story about a dragon.", "Positive"),
        ("Find the greatest common divisor of 12 and 18.", "It is the largest shared divisor."),
        ("Translate into French: I like apples.", "I like apples."),
        ("Is 17 a prime number? Answer yes or no.", "Prime numbers are interesting."),
        ("用Python写一个函数，计算列表的平均值。", "平均值就是所有数的和除以个数。"),
        ("把下面的句子翻译成英文：", "我喜欢苹果。"),
    ],
)
def test_answers_of_the_wrong_type(instruction: str, output: str) -> None:
    assert _wrong(instruction, output) is not None


def test_prose_where_a_label_is_asked() -> None:
    prose = " ".join(["The review talks about the food and the service at length"] * 3)
    assert _wrong("Classify the sentiment of the review as positive or negative.", prose)
    assert _wrong("Classify the sentiment of the review as positive or negative.", "Positive") is None


@pytest.mark.parametrize(
    ("instruction", "output", "classification"),
    [
        ("Is 91 prime? Answer Yes or No.", "No", True),
        ("Give a synonym for happy.", "Joyful", False),
        ("Find the greatest common divisor of 8 and 5.", "1", False),
        ("Write a Python function to reverse a string.", "def reverse(s):\n    return s[::-1]", False),
        ("Write a SQL query that counts the users.", "SELECT COUNT(*) FROM users;", False),
        ("Translate into French: I like apples.", "J'aime les pommes.", False),
        ("Write a title for a blog post about saving money.", "Small Habits, Big Savings", False),
        ("判断这条评论是好评还是差评。", "好评", True),
    ],
)
def test_answers_of_the_right_type(instruction: str, output: str, classification: bool) -> None:
    assert _wrong(instruction, output, classification=classification) is None


@pytest.mark.parametrize(
    "output",
    [
        "The capital of Australia is Canberra, and it lies in the Australian Capital Terr",
        "Steps:\n1. Preheat the oven.\n2. Mix the",
        "Here are five tips:\n1. Sleep eight hours.\n2. Drink water.",
        "1. Use indexes.\n2. Avoid SELECT *.\n3.",
        "高血压的常见原因包括饮食中盐分过多、缺乏运动以及长期的精神",
    ],
)
def test_cut_outputs(output: str) -> None:
    assert cut_short(output, reading("Answer the question.", False)) is not None


@pytest.mark.parametrize(
    "output",
    [
        "Canberra",
        "def add(a, b):\n    return a + b",
        "An old silent pond\nA frog jumps into the pond\nSplash! Silence again",
        "1. Apples\n2. Pears\n3. Plums",
        "Small Habits, Big Savings",
        "42",
        "return a -> b",
        "This is a complete sentence.",
        "Use examples, e.g.",
        "高血压的常见原因包括饮食中盐分过多。",
    ],
)
def test_whole_outputs(output: str) -> None:
    assert cut_short(output, reading("Answer the question.", False)) is None


def test_role_confusion() -> None:
    asks = reading("Summarise the passage in one sentence.", False)
    passage = "The person took a test, they chose to take the blue car and passed on the first try."
    assert role_confusion("Summarise the passage in one sentence.", passage, "1. " + passage, asks)
    assert role_confusion("Summarise the passage.", passage, passage + " Then they drove home.", asks)
    assert role_confusion(
        "What is the boiling point of water?", "", "What is the boiling point of water?", asks
    )
    fix = reading("Correct the spelling in this sentence.", False)
    assert (
        role_confusion("Correct the spelling.", "I recieved teh letter.", "I received the letter.", fix)
        is None
    )


def test_a_title_or_a_slogan_needs_no_full_stop() -> None:
    slogan = reading("Write a short slogan for a neighborhood bakery.", False)
    assert cut_short("From our oven to your table", slogan) is None
    assert cut_short("From our oven to your table", reading("Explain the rule.", False)) is not None


def test_fewer_items_than_asked_for() -> None:
    continents = reading("Name the seven continents.", False)
    assert cut_short("Africa, Antarctica, Asia, Australia, Eur", continents) is not None
    assert (
        cut_short("Africa, Antarctica, Asia, Australia, Europe, North America, South America", continents)
        is None
    )


def test_stops_on_an_operator() -> None:
    code = reading("Write a Python function that returns the square of a number.", False)
    assert cut_short("def square(n):\n    return n *", code) is not None


def test_an_output_unrelated_to_the_input_it_should_work_on() -> None:
    from pipeline.curate.structure.answers import unrelated

    rewrite = reading("Rewrite this headline in a more elegant way.", False)
    headline = "The most surprising thing about the world is that everything can be improved"
    assert unrelated(rewrite, headline, "This is why I am such an amazing person for living my dreams.")
    assert unrelated(rewrite, headline, "Everything in the world can be improved, surprisingly.") is None
    story = reading("Write a story about a dragon.", False)
    assert unrelated(story, headline, "Once upon a time a dragon slept.") is None  # not about the input


def test_labels_named_by_answer_x_or_y() -> None:
    asks = reading("Check whether the author argues for something. Answer Correct or Incorrect.", False)
    assert asks.label and set(asks.options) >= {"correct", "incorrect"}
    prose = "It seems that the author supports this idea, but there are also some limitations to it today."
    assert wrong_type(asks, "", "", prose) is not None
    assert wrong_type(asks, "", "", "Correct") is None
