import random

from rouge_score import rouge_scorer

from pipeline.curate.novelty import NoveltyIndex, rouge_l_f1
from pipeline.curate.tokenize import CJKTokenizer, tokenize


def test_short_texts_from_the_issue_score_above_threshold() -> None:
    a = tokenize("Write a short poem about the sea.")
    b = tokenize("Write a long and sad poem about the sea tonight.")
    assert round(rouge_l_f1(a, b), 3) == 0.706
    index = NoveltyIndex(0.7)
    index.add("a", a)
    near = index.find_near(b)
    assert near is not None and near.partner_id == "a" and near.score > 0.7


def test_chinese_text_matches_itself_unlike_the_default_tokenizer() -> None:
    text = "请写一首关于大海的短诗。"
    default = rouge_scorer.RougeScorer(["rougeL"])
    assert default.score(text, text)["rougeL"].fmeasure == 0.0  # the trap
    ours = rouge_scorer.RougeScorer(["rougeL"], tokenizer=CJKTokenizer())
    assert ours.score(text, text)["rougeL"].fmeasure == 1.0
    index = NoveltyIndex(0.7)
    index.add("zh", tokenize(text))
    assert index.find_near(tokenize("请写一首关于大海的小诗。")) is not None
    assert index.find_near(tokenize("解释一下光合作用的原理。")) is None


def test_unrelated_mixed_language_texts_are_not_merged() -> None:
    index = NoveltyIndex(0.7)
    index.add("a", tokenize("翻译成英文：今天天气很好"))
    assert index.find_near(tokenize("翻译成英文：我喜欢吃苹果")) is None
    assert index.find_near(tokenize("Translate to English: 我喜欢吃苹果")) is None


def test_index_agrees_with_the_exhaustive_rule() -> None:
    rng = random.Random(7)
    words = "write explain list give name describe the a of sea poem river city code story short long".split()
    texts = [" ".join(rng.choice(words) for _ in range(rng.randint(3, 9))) for _ in range(300)]
    kept_exhaustive: list[list[str]] = []
    index = NoveltyIndex(0.7)
    for n, text in enumerate(texts):
        tokens = tokenize(text)
        exhaustive_drop = any(rouge_l_f1(k, tokens) > 0.7 for k in kept_exhaustive)
        near = index.find_near(tokens)
        assert (near is not None) == exhaustive_drop, text
        if near is not None:
            assert near.score > 0.7
        else:
            kept_exhaustive.append(tokens)
            index.add(str(n), tokens)
    assert 0 < len(kept_exhaustive) < len(texts)
