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
