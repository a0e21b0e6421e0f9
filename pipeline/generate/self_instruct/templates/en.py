"""English prompts, after self-instruct's four templates (plus the task's category), written for
chat models with JSON-schema output. The worked examples are ours. Bump a version whenever its
text changes."""

from __future__ import annotations

from pipeline.generate.self_instruct.templates.base import Demo, PromptTemplate, TemplateSet

NO_INPUT = "<noinput>"

INSTRUCTIONS = PromptTemplate(
    name="self_instruct_instructions_en",
    version="2",
    language="en",
    system="You invent diverse, realistic tasks that people ask an AI assistant to do.",
    user=(
        "Come up with a series of tasks. Here are some examples:\n{examples}\n\n"
        "Write {count} new tasks. Vary the topic and the kind of task: questions, writing, "
        "rewriting, classification, extraction, summarising, translation, math, code, advice. "
        "Each task is a complete instruction of one or two sentences that an assistant can "
        "answer in text. Do not repeat the examples."
    ),
    json_hint=('Answer in JSON with one key, "instructions": a list of {count} strings, each one new task.'),
    text_hint="Answer with a numbered list, one task per line.",
)

CLASSIFY = PromptTemplate(
    name="self_instruct_classify_en",
    version="1",
    language="en",
    system=(
        "You decide whether a task is a classification task: one whose answer is one of a "
        "small, fixed set of labels."
    ),
    user="Task: {instruction}\nIs it classification?",
    json_hint='Answer in JSON with one key, "is_classification": true or false.',
    text_hint="Answer Yes or No.",
    demos=(
        Demo(
            "Task: Decide whether the review is positive or negative.\nIs it classification?",
            {"is_classification": True},
        ),
        Demo(
            "Task: Write a short poem about autumn leaves.\nIs it classification?",
            {"is_classification": False},
        ),
        Demo(
            "Task: Is the number 91 prime? Answer Yes or No.\nIs it classification?",
            {"is_classification": True},
        ),
        Demo("Task: Explain why the sky is blue.\nIs it classification?", {"is_classification": False}),
        Demo(
            "Task: Which department should handle this email: Sales, Support or Billing?\n"
            "Is it classification?",
            {"is_classification": True},
        ),
        Demo(
            "Task: Summarise the paragraph in one sentence.\nIs it classification?",
            {"is_classification": False},
        ),
    ),
)

INSTANCES = PromptTemplate(
    name="self_instruct_instances_en",
    version="1",
    language="en",
    system=(
        "You write examples for tasks: an input the task applies to, then the correct "
        "output. If the task needs no input, the input is <noinput>."
    ),
    user="Task: {instruction}\nWrite {count} different examples.",
    json_hint='Answer in JSON with one key, "instances": a list of objects with "input" and "output".',
    text_hint='Write each example as a line "Example N", a line "Input:" and a line "Output:".',
    demos=(
        Demo(
            "Task: Convert the temperature from Celsius to Fahrenheit.\nWrite 2 different examples.",
            {
                "instances": [
                    {"input": "25 °C", "output": "25 °C is 77 °F."},
                    {"input": "-10 °C", "output": "-10 °C is 14 °F."},
                ]
            },
        ),
        Demo(
            "Task: Give three tips for sleeping better.\nWrite 1 different examples.",
            {
                "instances": [
                    {
                        "input": NO_INPUT,
                        "output": (
                            "1. Go to bed and wake up at the same time every day.\n"
                            "2. Keep screens out of the bedroom for the last hour.\n"
                            "3. Avoid caffeine after lunch."
                        ),
                    }
                ]
            },
        ),
    ),
)

CLASS_INSTANCES = PromptTemplate(
    name="self_instruct_class_instances_en",
    version="1",
    language="en",
    system=(
        "You write examples for classification tasks: first pick one of the task's class "
        "labels, then write an input whose correct label it is. Use a different label for "
        "each example. If the task needs no input, the input is <noinput>."
    ),
    user="Task: {instruction}\nWrite {count} different examples.",
    json_hint=('Answer in JSON with one key, "instances": a list of objects with "class_label" and "input".'),
    text_hint='Write each example as a line "Class label:" and a line "Input:".',
    demos=(
        Demo(
            "Task: Is the sentence a question or a statement?\nWrite 2 different examples.",
            {
                "instances": [
                    {"class_label": "Question", "input": "Where did you park the car?"},
                    {"class_label": "Statement", "input": "The car is parked outside."},
                ]
            },
        ),
        Demo(
            "Task: Classify the animal as a mammal, bird or fish.\nWrite 2 different examples.",
            {
                "instances": [
                    {"class_label": "Bird", "input": "Penguin"},
                    {"class_label": "Mammal", "input": "Dolphin"},
                ]
            },
        ),
    ),
)

# The task's category, from the configured list (names: pipeline.generate.categories; the glosses
# explain BELLE's). Its lines feed curation's leakage check, so they avoid phrases a real
# classification task uses ("the one category that fits best", "answer with the name of").
CATEGORIZE = PromptTemplate(
    name="self_instruct_categorize_en",
    version="1",
    language="en",
    system="You sort tasks by kind.",
    user="Task: {instruction}\nWhich category?",
    json_hint=(
        'The categories:\n{categories}\nAnswer in JSON with one key, "category": the name of one category.'
    ),
    text_hint="The categories:\n{categories}\nReply with one category's name and nothing else.",
    demos=(
        Demo("Task: Explain why the sky is blue.\nWhich category?", {"category": "open_qa"}),
        Demo(
            "Task: Suggest five names for a new coffee shop.\nWhich category?", {"category": "brainstorming"}
        ),
        Demo(
            "Task: Decide whether the review is positive or negative.\nWhich category?",
            {"category": "classification"},
        ),
        Demo("Task: Solve for x: 3x + 5 = 20.\nWhich category?", {"category": "math"}),
        Demo("Task: Rewrite the email so it sounds more polite.\nWhich category?", {"category": "rewrite"}),
        Demo("Task: List every date mentioned in the text.\nWhich category?", {"category": "extract"}),
    ),
    glosses=(
        ("open_qa", "a question answered from general knowledge"),
        ("closed_qa", "a question answered from a text the task gives"),
        ("brainstorming", "ideas, suggestions or options"),
        ("classification", "choosing a label from a fixed set"),
        ("extract", "pulling items out of a given text"),
        ("generation", "writing new text: a story, poem, letter or post"),
        ("rewrite", "changing the style, tone or form of a given text"),
        ("summarization", "the main points of a given text"),
        ("translation", "from one language into another"),
        ("math", "a calculation or math problem"),
        ("code", "writing, explaining or fixing program code"),
        ("other", "anything else, such as a chat reply or role play"),
    ),
)

ENGLISH = TemplateSet(
    language="en",
    instructions=INSTRUCTIONS,
    classify=CLASSIFY,
    instances=INSTANCES,
    class_instances=CLASS_INSTANCES,
    categorize=CATEGORIZE,
    no_input=NO_INPUT,
)
