import pytest

from pipeline.curate.structure.task_form import not_a_task


@pytest.mark.parametrize(
    "instruction",
    [
        "The answer is: False.",
        "A train covers 240 km in 3 hours and it takes 1 hour to bake the machine.",
        "Implementing a Python script that generates a random list of numbers.",
        "Checking whether the author is arguing for something.",
        "The fifth task is about rewriting the message so it sounds polite.",
        "2019-06-30 was a sunny day.",
    ],
)
def test_statements_ask_nothing(instruction: str) -> None:
    assert not_a_task(instruction, chinese=False) is not None


@pytest.mark.parametrize(
    "instruction",
    [
        "Scale this recipe from 2 servings to 6 servings.",  # a verb the module does not list
        "The sun is setting. Describe the scene in three sentences.",
        "Given a list of numbers, return the largest.",
        "The following sentence has a typo. Can you fix it?",
        "This function is slow; why?",
        "Please rewrite the paragraph below.",
        "Reply to a customer who was charged twice.",
    ],
)
def test_requests_and_questions_are_tasks(instruction: str) -> None:
    assert not_a_task(instruction, chinese=False) is None


def test_chinese() -> None:
    assert not_a_task("这是一个关于天气的句子。", chinese=True) is not None
    assert not_a_task("这是一个关于天气的句子，请把它翻译成英文。", chinese=True) is None
    assert not_a_task("举两个明喻的例子。", chinese=True) is None  # no statement opening: not judged
    assert not_a_task("这句话是什么意思？", chinese=True) is None
