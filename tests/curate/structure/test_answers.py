import pytest

from pipeline.curate.structure.answers import cut_short, unrelated, wrong_type
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


def test_a_cut_query_or_calculation() -> None:
    sql = reading("Write a SQL query that lists the orders placed in May, newest first.", False)
    assert cut_short("SELECT id, placed_at FROM orders WHERE month = 5 ORDER", sql) is not None
    assert cut_short("SELECT id, placed_at FROM orders WHERE month = 5 ORDER BY placed_at DESC", sql) is None
    percent = reading("计算240的15%。", False)
    assert cut_short("240的15%等于240乘以", percent) is not None
    assert cut_short("240的15%等于36。", percent) is None
    assert cut_short("Six times seven is 42, so the answer is six times", reading("Compute 6 × 7.", False))


def test_a_quantity_question_answered_without_a_number() -> None:
    # the 一 of 一刻钟 is the question's own word, not an answer
    assert _wrong("半小时是多少分钟？", "分钟比小时短，所以半小时里有不少分钟。") is not None
    assert _wrong("半小时是多少分钟？", "半小时是三十分钟。") is None


def test_a_which_one_question_answered_with_none_of_its_options() -> None:
    assert (
        _wrong("猫、鹦鹉、金鱼中，哪一种会飞？", "它们都很可爱，很多家庭都养宠物。") is None
    )  # 都: "all of them"
    assert _wrong("猫、鹦鹉、金鱼中，哪一种会飞？", "宠物给家庭带来很多快乐和陪伴。") is not None
    assert _wrong("猫、鹦鹉、金鱼中，哪一种会飞？", "鹦鹉。") is None
    assert _wrong("Which of these is a planet: Pluto, Mars or the Moon?", "Space is very big and cold.")
    assert _wrong("Which of these is a planet: Pluto, Mars or the Moon?", "Mars is.") is None
    assert (
        _wrong("Which is heavier, a tonne of bricks or a tonne of feathers?", "Neither: both weigh a tonne.")
        is None
    )


def test_a_named_answer_is_an_answer_to_a_two_way_question() -> None:
    asked = "判断这条消息是广告还是通知，回答“广告”或“通知”。"
    assert _wrong(asked, "广告") is None
    assert _wrong(asked, "这条消息写得很长。") is not None


def test_an_extraction_of_numbers_shares_the_input() -> None:
    extract = reading("Extract the phone numbers from the text.", False)
    given = "Call the shop on 020 7946 0018 or the depot on 020 7946 0442."
    assert unrelated(extract, given, "020 7946 0018; 020 7946 0442") is None


def test_a_slogan_in_chinese_needs_no_full_stop() -> None:
    assert cut_short("修好每一双鞋，陪你走遍每条街", reading("给一家修鞋店写一句广告语。", False)) is None


@pytest.mark.parametrize(
    ("instruction", "output"),
    [
        ("Write a Python function that sums a list.", "def total(xs):\n    return sum(x for x in (xs"),
        ("Write a JavaScript arrow function that doubles a number.", "const double = (n) =>"),
        (
            "Make a Markdown table of three rivers and their lengths.",
            "| River | km |\n|---|---|\n| Nile | 6650 |\n| Amazon |",
        ),
        ("Name the first six even numbers.", "2, 4, 6, 8,"),
        ("求直角边为3和4的三角形的斜边。", "c = √(9 + 16) = √"),
    ],
)
def test_more_shapes_of_a_cut(instruction: str, output: str) -> None:
    assert cut_short(output, reading(instruction, False)) is not None


def test_a_salutation_an_operator_or_a_mirrored_sign_is_whole() -> None:
    assert (
        cut_short("Dear Mr. Okoro,", reading("Write the salutation of a letter to Mr. Okoro.", False)) is None
    )
    assert cut_short("%", reading("Which operator gives the remainder in Python?", False)) is None
    sign = reading("Fix the apostrophes on this sign.", False)
    assert cut_short("Fresh eggs and plums sold daily", sign, "Fresh egg's and plum's sold daily") is None


@pytest.mark.parametrize(
    ("instruction", "output", "given"),
    [
        ("What is the boiling point of water at sea level?", "Water is essential to all life on Earth.", ""),
        (
            "Rate this film from 1 (bad) to 10 (great).",
            "The acting is fine but the plot drags.",
            "A slow thriller.",
        ),
        (
            "Classify the fruit by taste: sweet, sour or bitter.",
            "Lemons grow on trees in warm climates and are often used in drinks.",
            "Lemon",
        ),
        ("用Excel公式计算B1到B5的和。", "把这五个数加起来就行。", ""),
        (
            "《静夜思》的作者是谁？只写名字。",
            "这首诗写的是游子在月夜思念故乡的情感，语言朴素，流传很广。",
            "",
        ),
    ],
)
def test_more_answers_of_the_wrong_type(instruction: str, output: str, given: str) -> None:
    assert _wrong(instruction, output, given) is not None


def test_code_a_proverb_and_a_formula_answer_their_tasks() -> None:
    assert _wrong("Finish this saying: 'Don't count your eggs before'", "they hatch.") is None
    assert _wrong("Write the LaTeX code for one half.", "\\frac{1}{2}") is None
    assert _wrong("用Excel公式计算B1到B5的和。", "=SUM(B1:B5)") is None


@pytest.mark.parametrize(
    ("instruction", "output", "given"),
    [
        (
            "Give one word that means 'very happy'.",
            "A feeling of great joy that comes after good news or success.",
            "",
        ),
        ("What is the date of Christmas Day?", "It is the day many Christians celebrate every winter.", ""),
        (
            "Give the chemical formula of table salt.",
            "Table salt is the white seasoning found in most kitchens.",
            "",
        ),
        ("Name the tallest mountain in Africa.", "1. Kilimanjaro\n2. Mount Kenya\n3. Mount Stanley", ""),
        (
            "Write a SQL query that lists the customers from Spain.",
            "You would look through the customer table and return those in Spain.",
            "",
        ),
        (
            "Classify the email as spam or not spam.",
            "This message talks about a package waiting at the post office.",
            "Your parcel is waiting: click here.",
        ),
        (
            "Rewrite the sentence in simpler words.",
            "This sentence uses formal vocabulary; 'deferred' means postponed.",
            "The committee deferred the decision.",
        ),
        ("用一个成语形容“非常高兴”。", "形容心里非常快乐、满意的样子。", ""),
        ("端午节是几月几日？", "端午节是纪念屈原的传统节日。", ""),
        ("写出食盐的化学式。", "食盐是厨房里最常见的调味品。", ""),
        ("世界上最长的河流是哪一条？", "1. 尼罗河\n2. 亚马孙河\n3. 长江", ""),
        (
            "把这句古文翻译成白话文。",
            "这句话出自《孟子》，讲的是君子的修养。",
            "天时不如地利，地利不如人和。",
        ),
        (
            "用简单的话解释什么是通货膨胀。",
            "Inflation is when prices in an economy keep rising over time, so money buys less.",
            "",
        ),
        ("把“谢谢”翻译成韩语。", "谢谢", ""),
    ],
)
def test_narrower_asks_answered_with_something_else(instruction: str, output: str, given: str) -> None:
    assert _wrong(instruction, output, given) is not None


@pytest.mark.parametrize(
    ("instruction", "output", "given"),
    [
        ("Give one word that means 'very happy'.", "Elated.", ""),
        ("Give one word that means 'very happy'.", "Elated, as in 'she was elated by the news'.", ""),
        ("What is the date of Christmas Day?", "25 December.", ""),
        ("Give the chemical formula of table salt.", "NaCl", ""),
        ("Give the chemical formula of water.", "H₂O: two hydrogen atoms and one oxygen atom.", ""),
        ("Name the tallest mountain in Africa.", "Kilimanjaro, at 5,895 m.", ""),
        ("Name the three largest oceans.", "1. Pacific\n2. Atlantic\n3. Indian", ""),
        (
            "Write a Python function that returns the larger of two numbers.",
            "def larger(a, b):\n    return max(a, b)",
            "",
        ),
        (
            "Classify the email as spam or not spam.",
            "Spam: it asks you to click an unknown link.",
            "Your parcel is waiting: click here.",
        ),
        ("用一个成语形容“非常高兴”。", "欣喜若狂。", ""),
        ("端午节是几月几日？", "农历五月初五。", ""),
        ("写出食盐的化学式。", "NaCl", ""),
        ("世界上最长的河流是哪一条？", "尼罗河。", ""),
        (
            "把这句古文翻译成白话文。",
            "这句话的意思是：有利的时机比不上有利的地势，有利的地势比不上人心团结。",
            "天时不如地利，地利不如人和。",
        ),
        ("英语里“book”是什么意思？", "book 的意思是书，也可以作动词，表示预订。", ""),
        ("把“谢谢”翻译成韩语。", "감사합니다", ""),
    ],
)
def test_narrower_asks_answered_in_kind(instruction: str, output: str, given: str) -> None:
    assert _wrong(instruction, output, given) is None


def test_a_figure_cut_after_its_first_digits() -> None:
    asks = reading("第一届现代奥运会是哪一年举办的？", False)
    assert cut_short("第一届现代奥运会于18", asks) is not None
    extract = reading("提取这段话中的人名和地点。", False)
    assert cut_short("人名：李明；地点：杭州西湖边的茶馆", extract) is None
