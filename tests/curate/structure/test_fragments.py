import pytest

from pipeline.curate.structure.fragments import fragment
from pipeline.curate.structure.lists import first_marker, list_continuation, markers


@pytest.mark.parametrize(
    "instruction",
    [
        "and add one row to the table called",
        "are two of the most important things that people say to each other all the time. Example:",
        "but there is no proper punctuation for this sentence, so you have to write it as",
        "which can be a simple phrase with many meanings",
        "And then sort the list by date.",
        "Rewrite the paragraph so that it sounds more formal and",
        "Write a short poem about the",
    ],
)
def test_english_fragments(instruction: str) -> None:
    assert fragment(instruction, has_input=True, chinese=False) is not None


@pytest.mark.parametrize(
    "instruction",
    [
        "Translate the following sentence into French:",
        "Which of the following animals is a mammal?",
        "Given a list of numbers, return the largest one.",
        "iPhone sales fell last quarter; explain two likely reasons.",
        "Give three tips for staying healthy",
        "numpy.argsort returns what? Explain briefly.",
    ],
)
def test_whole_english_instructions(instruction: str) -> None:
    assert fragment(instruction, has_input=True, chinese=False) is None


def test_an_instruction_that_promises_an_example_needs_an_input() -> None:
    assert fragment("Write a haiku about rain. For example:", has_input=False, chinese=False)
    assert fragment("Sort these words alphabetically, for example:", has_input=True, chinese=False) is None


@pytest.mark.parametrize(
    "instruction",
    ["和朋友一起去公园的", "但是这个句子没有标点", "请列出三种常见的", "请根据下面的描述写一段"],
)
def test_chinese_fragments(instruction: str) -> None:
    assert fragment(instruction, has_input=False, chinese=True) is not None


@pytest.mark.parametrize(
    "instruction", ["把下面的句子翻译成英文：", "请写一首关于秋天的诗。", "判断下面的评论是正面还是负面"]
)
def test_whole_chinese_instructions(instruction: str) -> None:
    assert fragment(instruction, has_input=True, chinese=True) is None


def test_markers_in_both_languages() -> None:
    assert markers("1. a\n2) b\n(3) c\n4、d") == [1, 2, 3, 4]
    assert markers("第一，准备材料\n第二，开始") == [1, 2]
    assert markers("一、背景\n二、方法\n十、结论") == [1, 2, 10]
    assert first_marker("3. Use table naming conventions:") == 3
    assert first_marker("Use a table") is None


@pytest.mark.parametrize(
    "fields",
    [
        [
            ("instruction", "Writing SQL query."),
            ("input", "1. Create a table."),
            ("output", "2. Create a table."),
        ],
        [
            ("instruction", "Writing SQL query."),
            ("input", "3. Use table naming conventions:"),
            ("output", "4. Use"),
        ],
        [
            ("instruction", "Here's how you could do it: 1. Create a new table with column named"),
            ("output", "x"),
        ],
        [("instruction", "改写下面的步骤"), ("input", "第一，准备材料"), ("output", "第二，把材料混合")],
    ],
)
def test_lists_dealt_out_over_fields(fields: list[tuple[str, str]]) -> None:
    assert list_continuation(fields) is not None


@pytest.mark.parametrize(
    "fields",
    [
        [("instruction", "List three fruits."), ("output", "1. Apple\n2. Pear\n3. Plum")],
        [
            ("instruction", "Sort by length."),
            ("input", "1. kiwi\n2. banana"),
            ("output", "1. kiwi\n2. banana"),
        ],
        [
            ("instruction", "Follow these steps: 1. Boil water. 2. Add tea."),
            ("output", "Done: tea is ready."),
        ],
    ],
)
def test_whole_lists(fields: list[tuple[str, str]]) -> None:
    assert list_continuation(fields) is None


def test_decimals_are_not_list_items_and_other_markers_are() -> None:
    assert first_marker("3.14") is None and first_marker("2.72") is None
    assert markers("i. Open settings.\nii. Choose an app.") == [1, 2]
    assert markers("(a) Warm-up\n(b) Introduce") == [1, 2]
    assert markers("甲、导入\n乙、讲解") == [1, 2]
    assert markers("Step 1: Unplug it.\nStep 2: Wait.") == [1, 2]
    assert markers("First, address the manager.\nSecond, explain.") == [1, 2]


@pytest.mark.parametrize(
    "fields",
    [
        [
            ("instruction", "How do I reset my router?"),
            ("input", "Step 1: Unplug it."),
            ("output", "Step 2: Wait."),
        ],
        [
            ("instruction", "Name the noble gases."),
            ("input", "A) Helium B) Neon"),
            ("output", "C) Argon D) Krypton"),
        ],
        [("instruction", "Advise me."), ("input", "Sleep well.\n2. Eat well."), ("output", "Fine.")],
        [("instruction", "List tips."), ("input", "- Go for a walk.\n-"), ("output", "- Listen to music.")],
    ],
)
def test_more_lists_dealt_out(fields: list[tuple[str, str]]) -> None:
    assert list_continuation(fields) is not None


def test_the_next_step_of_a_list_may_be_asked_for() -> None:
    fields = [
        ("instruction", "What is the next step?"),
        ("input", "1. Mix.\n2. Knead.\n3. Rise."),
        ("output", "4. Bake."),
    ]
    assert list_continuation(fields, continues=False) is not None
    assert list_continuation(fields, continues=True) is None


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        (
            [
                ("instruction", "Plan the essay."),
                ("input", "Part A: Background"),
                ("output", "Part B: Method"),
            ],
            "output",
        ),
        (
            [
                ("instruction", "写读书报告的提纲。"),
                ("input", "第一部分：作者简介"),
                ("output", "第二部分：主要内容"),
            ],
            "output",
        ),
        (
            [
                ("instruction", "List packing steps."),
                ("input", "• Fold the shirts"),
                ("output", "• Roll the socks\n• Zip it"),
            ],
            "output",
        ),
        ([("instruction", "- Check the tyres"), ("input", "- Check the oil")], "input"),
    ],
)
def test_lettered_parts_and_bullets_dealt_out_over_fields(fields: list[tuple[str, str]], field: str) -> None:
    found = list_continuation(fields)
    assert found is not None and found["field"] == field


def test_a_kept_bullet_in_a_reworked_input_is_no_continuation() -> None:
    fields = [
        ("instruction", "Fix the spelling."),
        ("input", "• Fold the shrits"),
        ("output", "• Fold the shirts"),
    ]
    assert list_continuation(fields, keeps_form=True) is None
    assert list_continuation([("input", "• a\n• b"), ("output", "• c\n• d")]) is None  # a whole list in each


def test_words_that_start_with_a_particle_character_are_whole() -> None:
    for whole in ("地球上为什么有潮汐？", "得到一笔奖金后应该怎样理财？", "的确如此吗？请解释原因。"):
        assert fragment(whole, has_input=False, chinese=True) is None
    assert fragment("地把门关上。", has_input=False, chinese=True) is not None


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ([("instruction", "Step one: Boil water."), ("input", "Step two: Add the rice.")], "input"),
        (
            [("instruction", "Give advice."), ("input", "Tip 1: Sleep."), ("output", "Tip 2: Eat well.")],
            "output",
        ),
        (
            [
                ("instruction", "Plan it."),
                ("input", "Phase 1 - Design: sketch."),
                ("output", "Phase 2 - Build: code."),
            ],
            "output",
        ),
        ([("instruction", "Rank them."), ("input", "#1 Oak"), ("output", "#2 Elm")], "output"),
        (
            [("instruction", "Name them."), ("input", "(i) lion\n(ii) tiger"), ("output", "(iii) puma")],
            "output",
        ),
        ([("instruction", "列出来。"), ("input", "① 长江\n② 黄河"), ("output", "③ 珠江")], "output"),
        ([("instruction", "列出来。"), ("input", "Ⅰ. 备料。\nⅡ. 和面。"), ("output", "Ⅲ. 发酵。")], "output"),
        ([("instruction", "其一，早睡。"), ("input", "其二，早起。")], "input"),
        (
            [("instruction", "写守则。"), ("input", "第一条 不迟到。"), ("output", "第二条 不早退。")],
            "output",
        ),
        ([("instruction", "写守则。"), ("input", "A、甲\nB、乙"), ("output", "C、丙")], "output"),
        ([("instruction", "写须知。"), ("input", "第一，带证件。第二，"), ("output", "准时到。")], "input"),
    ],
)
def test_labelled_and_symbol_numbered_items_dealt_out(fields: list[tuple[str, str]], field: str) -> None:
    found = list_continuation(fields)
    assert found is not None and found["field"] == field


def test_numbers_that_are_no_list_items() -> None:
    assert list_continuation([("instruction", "Simplify 10:15."), ("output", "2:3, dividing by 5.")]) is None
    assert (
        list_continuation([("instruction", "Round 2.718 to one decimal place."), ("output", "2.7")]) is None
    )
    renumber = [("instruction", "Renumber from 1."), ("input", "4. a\n5. b"), ("output", "1. a\n2. b")]
    assert list_continuation(renumber, keeps_form=True) is None


@pytest.mark.parametrize(
    "text",
    [
        "尽管天色已经很晚了。",
        "以免路面结冰打滑。",
        "从而减少了很多浪费。",
        "写一段招生简章，要突出",
        "推荐一款手机，最好是有",
    ],
)
def test_chinese_clauses_without_a_main_clause_or_cut_after_the_verb(text: str) -> None:
    assert fragment(text, has_input=False, chinese=True) is not None


def test_a_subordinate_opening_with_its_main_clause_is_whole() -> None:
    assert fragment("尽管下雨了，请写一段鼓励的话。", has_input=False, chinese=True) is None
    assert (
        fragment("Unless told otherwise, assume 20% tax. What is the price of a $10 book?", False, False)
        is None
    )
    assert fragment("Until the bus arrives.", has_input=False, chinese=False) is not None
    assert fragment("Compare electric heaters versus", has_input=False, chinese=False) is not None


@pytest.mark.parametrize(
    ("instruction", "chinese"),
    [
        ("Write a thank-you note for a neighbour that mentions", False),
        ("Draft a product page for a kettle which highlights", False),
        ("尤其是住在高原地区的老人。", True),
        ("此外还要说明保修期有多长。", True),
        ("同时列出需要准备的材料。", True),
        ("介绍一下杭州的美食，重点围绕", True),
        ("写一个判断闰年的函数，如果输入不是整数，就", True),
        ("仿写一首短诗，风格像", True),
    ],
)
def test_instructions_cut_at_either_end(instruction: str, chinese: bool) -> None:
    assert fragment(instruction, False, chinese) is not None


@pytest.mark.parametrize(
    "instruction",
    [
        "列举鲁迅一生的主要成就",
        "同时期的欧洲画家有哪些？",
        "另一种说法是什么？",
        "比较两种茶的口感，说说你更喜欢哪一种",
    ],
)
def test_chinese_words_that_only_look_cut(instruction: str) -> None:
    assert fragment(instruction, False, True) is None


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ([("instruction", "Q1. What is a haiku?"), ("input", "Q2. Who wrote Hamlet?")], "input"),
        (
            [
                ("instruction", "Rank the planets by size."),
                ("input", "1st: Jupiter"),
                ("output", "2nd: Saturn"),
            ],
            "output",
        ),
        (
            [
                ("instruction", "Write the house rules."),
                ("input", "Rule #1: No shoes inside."),
                ("output", "Rule #2: Lights off by ten."),
            ],
            "output",
        ),
        (
            [("instruction", "Exercise 1: Expand (a+b)^2."), ("output", "Exercise 2: Expand (a-b)^2.")],
            "output",
        ),
        (
            [
                ("instruction", "规划一天的行程。"),
                ("input", "第一站：灵隐寺。"),
                ("output", "第二站：西湖。"),
            ],
            "output",
        ),
        ([("instruction", "⑴ 什么是光合作用？"), ("input", "⑵ 什么是呼吸作用？")], "input"),
        ([("instruction", "❶ 先把米洗净。"), ("output", "❷ 加水煮开。")], "output"),
        (
            [
                ("instruction", "制定宿舍公约。"),
                ("input", "【一】晚上十一点熄灯。"),
                ("output", "【二】不得使用大功率电器。"),
            ],
            "output",
        ),
        (
            [
                ("instruction", "说说为什么要早睡。"),
                ("input", "一来身体能得到休息；"),
                ("output", "二来第二天精神更好。"),
            ],
            "output",
        ),
        (
            [("instruction", "下列哪个是行星？"), ("input", "A.月球\nB.太阳"), ("output", "C.火星\nD.彗星")],
            "output",
        ),
        ([("instruction", "问题1：长城有多长？"), ("input", "问题2：故宫有多少间房？")], "input"),
    ],
)
def test_more_numbering_styles_dealt_out(fields: list[tuple[str, str]], field: str) -> None:
    found = list_continuation(fields)
    assert found is not None and found["field"] == field


def test_a_lettered_answer_after_all_the_options_is_the_answer() -> None:
    fields = [
        ("instruction", "下列哪个是行星？"),
        ("input", "A.月球\nB.太阳\nC.火星\nD.彗星"),
        ("output", "C.火星"),
    ]
    assert list_continuation(fields) is None
