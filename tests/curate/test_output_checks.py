import pytest

from pipeline.curate.config import OutputCheckConfig
from pipeline.curate.output_checks import check_outputs
from tests.curate.conftest import alpaca, dialogue

GOOD_EN = "Tides rise and fall twice a day because the moon's gravity pulls on the oceans."
GOOD_ZH = "潮汐是由月球和太阳的引力共同作用引起的海水周期性涨落现象，每天通常有两次。"


def reason(record, config: OutputCheckConfig | None = None) -> str | None:
    verdict = check_outputs(record, config or OutputCheckConfig())
    return verdict.reason if verdict else None


@pytest.mark.parametrize(
    "output, expected",
    [
        (GOOD_EN, None),
        ("", "empty_output"),
        ("  \n ", "empty_output"),
        ("...", "empty_output"),
        ("Explain how tides work on the coast.", "output_equals_instruction"),
        ("EXPLAIN how   tides work on the coast.", "output_equals_instruction"),
        ("Tides are caused by the moon and", "truncated_output"),
        ("Tides are caused by the moon, the sun,", "truncated_output"),
        ("Here is the code:\n```python\nprint('tide')", "truncated_output"),
        ("Here is the code:\n```python\nprint('tide')\n```\nIt prints a word.", None),
        ("As an AI language model, I do not have personal opinions about tides.", "ai_self_reference"),
        ("I'm just an AI, but tides come from the moon.", "ai_self_reference"),
        ("I'm sorry, but I can't help with that request.", "refusal"),
        ("I cannot provide information about this topic.", "refusal"),
        (  # a refusal's words past the opening window are prose (varied filler: a loop is its own drop)
            " ".join(f"Tide number {n} arrives about twelve hours after tide {n - 1}." for n in range(2, 8))
            + " I cannot stress enough how regular they are.",
            None,
        ),
        ("<noinput>", "template_leftover"),
        ("Dear [Your Name], tides are caused by the moon's pull on the sea.", "template_leftover"),
        ("Tides are caused by the moon.<|im_end|>", "template_leftover"),
        ("Tides are caused by the moon.\n2. Instruction: Describe a volcano.", "template_leftover"),
        ("Example:\nInput: 5\nOutput: 120\nThat is the factorial of five.", None),
        (
            "Les marées sont causées par l'attraction de la lune sur les océans du monde entier.",
            "language_mismatch",
        ),
        (GOOD_ZH, "language_mismatch"),
    ],
)
def test_english_output_checks(output: str, expected: str | None) -> None:
    assert reason(alpaca("Explain how tides work on the coast.", output=output)) == expected


@pytest.mark.parametrize(
    "output, expected",
    [
        (GOOD_ZH, None),
        ("", "empty_output"),
        ("请解释潮汐形成的原因。", "output_equals_instruction"),
        ("潮汐主要是由月球引力引起的，", "truncated_output"),
        ("作为一个AI语言模型，我没有个人观点，但潮汐是由月球引起的。", "ai_self_reference"),
        ("抱歉，我无法回答这个问题。", "refusal"),
        ("输出：潮汐是月球引力造成的海水涨落，每天大约两次。", "template_leftover"),
        ("<无输入>", "template_leftover"),
        (GOOD_EN, "language_mismatch"),
    ],
)
def test_chinese_output_checks(output: str, expected: str | None) -> None:
    assert reason(alpaca("请解释潮汐形成的原因。", output=output, language="zh")) == expected


def test_output_equal_to_input() -> None:
    record = alpaca(
        "Fix the grammar of the sentence.",
        input="He go to school every day.",
        output="He go to school every day.",
    )
    assert reason(record) == "output_equals_input"


def test_finish_reason_length_means_truncated() -> None:
    record = alpaca("Explain how tides work.", output=GOOD_EN, finish_reason="length")
    verdict = check_outputs(record, OutputCheckConfig())
    assert verdict.reason == "truncated_output"
    assert verdict.evidence == {"rule": "truncated", "evidence": "finish_reason=length"}


def test_an_answer_in_the_language_the_instruction_asks_for_is_no_mismatch() -> None:
    french = "Les marées sont causées par l'attraction de la lune sur les océans du monde entier."
    assert reason(alpaca("Answer in French: why are there tides?", output=french)) is None
    assert reason(alpaca("Translate to French: tides are caused by the moon.", output=french)) is None
    assert reason(alpaca("用英语解释潮汐形成的原因。", output=GOOD_EN, language="zh")) is None
    assert (
        reason(alpaca("把下面的句子翻译成英文。", input="潮汐由月球引起。", output=GOOD_EN, language="zh"))
        is None
    )


def test_code_and_short_answers_are_not_judged_by_language() -> None:
    code = "```python\ndef tide(hours):\n    return hours % 12.42\n```"
    assert reason(alpaca("编写一个计算潮汐周期的Python函数。", output=code, language="zh")) is None
    assert reason(alpaca("请给出一个英文单词的例子。", output="Ocean.", language="zh")) is None


def test_dialogues_check_every_assistant_turn() -> None:
    ok = dialogue("What causes tides?", GOOD_EN, "And how often?", "Twice a day, roughly every 12 hours.")
    assert reason(ok) is None
    refusal = dialogue("What causes tides?", GOOD_EN, "And how often?", "I'm sorry, but I can't answer that.")
    verdict = check_outputs(refusal, OutputCheckConfig())
    assert verdict.reason == "refusal" and verdict.evidence["field"] == "messages[3]"
    echo = dialogue("What causes tides?", "What causes tides?")
    assert reason(echo) == "output_equals_instruction"
    assert reason(dialogue("潮汐是怎么形成的？", GOOD_EN, language="zh")) == "language_mismatch"


def test_checks_are_configurable() -> None:
    config = OutputCheckConfig(language_mismatch=False, truncation_heuristics=False)
    assert reason(alpaca("Explain how tides work on the coast.", output=GOOD_ZH), config) is None
    assert (
        reason(alpaca("Explain how tides work on the coast.", output="Tides come from the moon and"), config)
        is None
    )
