import pytest

from pipeline.curate.config import FilterConfig
from pipeline.curate.filters import check_filters
from tests.curate.conftest import alpaca, dialogue


def reason(record, config: FilterConfig | None = None) -> str | None:
    verdict = check_filters(record, config or FilterConfig())
    return verdict.reason if verdict else None


@pytest.mark.parametrize(
    "instruction, expected",
    [
        ("Name three rivers in Europe.", None),
        ("Say hi please.", "too_short"),  # Alpaca: more than 3 words
        ("Name four big rivers.", None),
        (" ".join(["word"] * 150), None),
        (" ".join(["word"] * 151), "too_long"),
        ("Describe the image below in detail please.", "blacklist:image"),
        ("Draw a cat wearing a hat.", "blacklist:draw"),
        ("Please go to the store and buy milk.", "blacklist:go_to"),
        ("Summarise the FLOWCHART for the release process.", "blacklist:flowchart"),
        ("Explain why a profile matters for remapping roads.", None),  # "file", "map" inside words
        ("Explain how drawing skills improve with practice.", None),  # "drawing" is not "draw"
        ("- List some fruits for a picnic.", "starts_with_punctuation"),
        ('"Quote" the first line of a famous novel.', "starts_with_punctuation"),
        ("Écris une phrase sur la mer.", "starts_with_non_ascii"),
        ("Write a program that sorts numbers quickly.", "write_a_program"),
        ("Write a poem that sorts feelings quickly.", None),
        ("Ask ChatGPT to explain quantum physics.", "mentions_ai"),
        ("Compare GPT-4 with older language models.", "mentions_ai"),
        ("Explain what an adapter does in a laptop charger.", None),  # "adapter" is no "gpt"
    ],
)
def test_english_filters(instruction: str, expected: str | None) -> None:
    assert reason(alpaca(instruction)) == expected


def test_ai_mention_in_the_input_counts_too() -> None:
    assert (
        reason(
            alpaca("Summarise the text below in one sentence.", input="OpenAI released a new model today.")
        )
        == "mentions_ai"
    )


@pytest.mark.parametrize(
    "instruction, input, expected",
    [
        ("请解释光合作用的基本原理。", "", None),
        ("你好啊", "", "too_short"),  # BELLE: more than 3 characters
        ("写一首诗", "", None),
        ("描述这张图片里的内容。", "", "blacklist:图片"),
        ("根据下面的折线图总结趋势。", "", "blacklist:折线图"),
        ("打开这个链接并总结内容。", "", "blacklist:链接"),
        ("访问HTTP网站并总结内容。", "", "blacklist:http"),
        ("请问ChatGPT是什么？", "", "mentions_ai"),
        ("让GPT模型写一首诗。", "", "mentions_ai"),
        ("，请写一首关于秋天的诗。", "", "starts_with_punctuation"),
        ("「春天」是什么季节的开始？", "", "starts_with_punctuation"),
        ("翻" * 99 + "。", "一段文字", "too_long"),  # with an input: under 100 characters
        ("翻" * 98 + "。", "一段文字", None),
        ("参考下面的示例" + "写" * 120, "一段文字", None),  # examples given: under 150
        ("参考下面的示例" + "写" * 150, "一段文字", "too_long"),
        ("写" * 400, "", None),  # BELLE has no limit without an input
    ],
)
def test_chinese_filters(instruction: str, input: str, expected: str | None) -> None:
    assert reason(alpaca(instruction, input=input, language="zh")) == expected


def test_chinese_records_are_recognised_without_lineage_language() -> None:
    # imported records say "en" by default; the text decides
    assert reason(alpaca("描述这张图片里的内容。", language="en")) == "blacklist:图片"


def test_filters_read_a_dialogues_first_user_turn() -> None:
    assert reason(dialogue("Describe the picture I sent you yesterday.", "Sure.")) == "blacklist:picture"
    assert reason(dialogue("What is the capital city of France?", "Paris.")) is None


def test_filters_are_configurable() -> None:
    config = FilterConfig(min_words=2, blacklist=["tea"], drop_ai_mentions=False, drop_write_a_program=False)
    assert reason(alpaca("Say hi."), config) is None
    assert reason(alpaca("Describe the image below."), config) is None
    assert reason(alpaca("Brew a cup of tea."), config) == "blacklist:tea"
    assert reason(alpaca("Ask ChatGPT about tides."), config) is None
    assert reason(alpaca("Write a program that adds numbers."), config) is None


def test_evidence_names_rule_and_term() -> None:
    verdict = check_filters(alpaca("Describe the image below in detail."), FilterConfig())
    assert verdict.evidence == {"rule": "blacklist", "term": "image", "field": "instruction"}
