import json

import pytest

from pipeline.curate.structure.leakage import leaked, template_ngrams
from pipeline.generate.template_texts import COPY, render, template_texts
from pipeline.text import tokenize


def test_the_shipped_copy_matches_the_templates() -> None:
    # a template edited without `python -m pipeline.generate.template_texts` fails here
    assert COPY.read_text(encoding="utf-8") == render()


def test_every_template_sentence_is_recognised_in_a_field() -> None:
    for pieces in template_texts().values():
        for piece in pieces:
            long_enough = len(tokenize(piece)) >= 6  # one n-gram fits inside
            if long_enough:
                assert leaked(f"Sure. {piece} Thanks.") is not None, piece


@pytest.mark.parametrize(
    "text",
    [
        "You create a series of tasks that cover different topic areas such as writing an SQL query",
        "which uses max() { }} Your task is to create and present the first five tasks based upon the given",
        "this is a list of five Python tasks that answer a question about a given task description",
        "The above four tasks are possible to be done using Python code.",
        "Each task is a complete instruction of one or two sentences.",
        "Input: <noinput>",
        "请想出一系列任务，主题要多样。",
        "这是分类任务吗？",
        "上述任务可以用Python完成。",
    ],
)
def test_leaks_and_talk_about_the_prompt_are_found(text: str) -> None:
    assert leaked(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "Write three examples of metaphors about the sea.",
        "Give an example of a classification problem in machine learning.",
        "List 5 tasks to do before moving house.",
        "Summarise the text in one or two sentences.",
        "Here are some examples of metaphors: time is a thief; the world is a stage.",
        "写三个关于大海的比喻句。",
        "列出搬家前要做的五件事。",
    ],
)
def test_ordinary_text_about_tasks_and_examples_is_not_a_leak(text: str) -> None:
    assert leaked(text) is None


def test_a_task_never_introduces_examples_but_an_answer_may() -> None:
    task = "Tell me about your favorite memory. Here are some examples: 1. Provide a short story"
    assert leaked(task, instruction=True) == "Here are some examples:"
    assert leaked("Here are some examples: the sun, the moon.") is None


def test_ngrams_cover_both_languages() -> None:
    grams = template_ngrams()
    assert ("come", "up", "with", "a", "series") in grams
    assert tuple("请想出一系列任务") in grams
    assert json.loads(COPY.read_text(encoding="utf-8")).keys() == {"en", "zh"}


@pytest.mark.parametrize(
    "text",
    [
        "The fifth task is about rewriting the message so it sounds polite.",
        "Extract the main claim from the paragraph, while adhering to this constraint.",
        "Now write 8 more tasks in the same format.",
        "Task 3: The instruction should be one or two sentences.",
        "任务4：写一首关于沙漠的诗。",
        "这是第二个任务。",
    ],
)
def test_talk_of_numbered_tasks_and_constraints(text: str) -> None:
    assert leaked(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "Task 3 (open-ended): Describe a rainy market.",
        "任务3（开放式）：描述一个下雨的集市。",
        "Think of tasks real users would give an AI assistant, such as booking a table.",
        "想想用户会让助手做什么，比如订机票。",
        "简要介绍一下太极拳。任务要多样，不要和示例重复。",
    ],
)
def test_more_shapes_of_the_prompt(text: str) -> None:
    assert leaked(text) is not None


def test_an_instruction_opening_on_numbered_examples_of_other_tasks() -> None:
    assert leaked("Examples: 1) Name a fruit. 2) Spell 'cat'. Now list three birds.", instruction=True)
    assert leaked("示例：1）写一句诗。2）算一道题。现在请介绍长城。", instruction=True)
    assert leaked("Give examples of metaphors.", instruction=True) is None


def test_an_answer_talking_about_the_generation_request() -> None:
    from pipeline.curate.structure.leakage import talk_about_the_task

    assert talk_about_the_task("Stretch now.\nThis is not a classification task.", "Write a reminder.")
    assert talk_about_the_task("早点睡。\n这不是一个分类任务。", "写一句劝人早睡的话。")
    assert talk_about_the_task("Try soup. (None of the example tasks were repeated.)", "Suggest a dinner.")
    # the task is about classification or examples: talking about them is the answer
    assert (
        talk_about_the_task("This is a classification task.", "Is sorting mail a classification task?")
        is None
    )
    assert talk_about_the_task("Do not copy the examples verbatim.", "Give advice on using examples.") is None


def test_a_to_do_list_one_task_per_line_is_a_task() -> None:
    assert leaked("Write a to-do list for spring cleaning, one task per line.", instruction=True) is None


@pytest.mark.parametrize(
    "text",
    [
        "Name a bird. Not all instructions require input.",
        "The input field should contain a short e-mail.",
        "Use a new verb each time to maximize diversity.",
        "Generate a task where the user asks for a soup recipe.",
        "要求：指令用中文书写，任务多样。",
        "输出应为一句完整的话。",
        "这个任务的输出要简短。",
    ],
)
def test_a_self_instruct_prompts_requirements(text: str) -> None:
    assert leaked(text) is not None


def test_a_record_label_opening_an_instruction() -> None:
    assert leaked("示例3\n指令：介绍一下黄山。", instruction=True)
    assert leaked("指令：写一首诗。\n输入：无", instruction=True)
    assert leaked("指令：把需求改写清楚。") is None  # an answer may show a record's parts


def test_a_task_that_opens_like_a_prompt_line_is_a_task() -> None:
    assert leaked("Write the patient's next line in this dialogue.", instruction=True) is None


@pytest.mark.parametrize(
    "text",
    [
        "Task 3 of 15 (topic: cooking, type: open question): How long should pasta rest?",
        "Fruit: mango\nTask type: classification (no)",
        "Avoid instructions that need audio or video. Name a famous violinist.",
        "Make sure the output is under fifty words. Describe a lighthouse.",
        "Describe a sunrise, with real content rather than a placeholder.",
        "Below is an instruction that describes a task. Name the largest planet.",
        "Paris.\n\nNote to the grader: I made the answer brief as requested.",
        "Twelve inches.\n\nNow do the same for the next task in the list.",
        "This is an open question, a task with no input; a good answer would be a short poem.",
        "I left the input field blank because none is needed.",
        "【任务编号：12｜类型：开放式问答】为什么秋天树叶会变黄？",
        "请参考种子任务的格式，再写一道题。",
        "（注：本任务无需输入，所以留空。）",
        "希望这些任务对你有帮助！需要更多不同类型的任务请告诉我。",
        "注意：指令不要涉及模型无法生成的图片。",
    ],
)
def test_the_prompts_bookkeeping_in_a_field(text: str) -> None:
    assert leaked(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "给下列任务编号，最重要的排第一。",
        "Make sure the kettle is empty before you descale it.",
        "The function takes no input and returns the current time.",
        "Task 3 in the project plan is overdue; write a polite reminder to the team.",
    ],
)
def test_ordinary_words_near_the_prompts_bookkeeping(text: str) -> None:
    assert leaked(text, instruction=True) is None
