import importlib.util
import random
from pathlib import Path

import pytest
from rouge_score import rouge_scorer

from pipeline.curate.novelty import NoveltyIndex
from pipeline.curate.rouge import fmeasure, lcs_length, rouge_l_f1
from pipeline.text import CJKTokenizer, tokenize

BENCH = Path(__file__).parents[2] / "bench"


@pytest.fixture(params=["signatures", "inverted"])
def index_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Small indexes scan signatures, large ones use the inverted index: test both."""
    if request.param == "inverted":
        monkeypatch.setattr("pipeline.curate.novelty.INDEX_FROM", 1)
    return str(request.param)


def test_short_texts_from_the_issue_score_above_threshold() -> None:
    a = tokenize("Write a short poem about the sea.")
    b = tokenize("Write a long and sad poem about the sea tonight.")
    assert round(rouge_l_f1(a, b), 3) == 0.706
    assert len(set(a) & set(b)) / len(set(a) | set(b)) == pytest.approx(0.55, abs=0.01)
    index = NoveltyIndex(0.7)
    index.add("a", a)
    near = index.find_near(b)
    assert near is not None and near.partner_id == "a" and near.score > 0.7


def test_rouge_scores_own_float_rounding_decides_borderline_pairs() -> None:
    shared = [f"w{i}" for i in range(7)]
    # 9 vs 11 tokens with LCS 7: exactly 0.7 on paper, 0.7000000000000001 in rouge-score
    a, b = shared + ["x1", "x2"], shared + ["y1", "y2", "y3", "y4"]
    assert rouge_l_f1(a, b) == 0.7000000000000001
    index = NoveltyIndex(0.7)
    index.add("a", a)
    assert index.find_near(b) is not None
    # 10 vs 10 with LCS 7 is exactly 0.7, which is not above the threshold
    c, d = shared + ["x1", "x2", "x3"], shared + ["y1", "y2", "y3"]
    assert rouge_l_f1(c, d) == 0.7
    index = NoveltyIndex(0.7)
    index.add("c", c)
    assert index.find_near(d) is None


def test_chinese_text_matches_itself_unlike_the_default_tokenizer() -> None:
    text = "请写一首关于大海的短诗。"
    default = rouge_scorer.RougeScorer(["rougeL"])
    assert default.score(text, text)["rougeL"].fmeasure == 0.0  # the trap
    ours = rouge_scorer.RougeScorer(["rougeL"], tokenizer=CJKTokenizer())
    assert ours.score(text, text)["rougeL"].fmeasure == 1.0
    index = NoveltyIndex(0.7)
    index.add("zh", tokenize(text))
    assert index.find_near(tokenize("请写一首关于大海的小诗。")) is not None
    assert index.find_near(tokenize("请帮我写一首关于大海的短诗歌。")) is not None
    assert index.find_near(tokenize("解释一下光合作用的原理。")) is None


def test_unrelated_mixed_language_texts_are_not_merged() -> None:
    index = NoveltyIndex(0.7)
    index.add("a", tokenize("翻译成英文：今天天气很好"))
    assert index.find_near(tokenize("翻译成英文：我喜欢吃苹果")) is None
    assert index.find_near(tokenize("Translate to English: 我喜欢吃苹果")) is None
    index.add("b", tokenize("Translate to English: 我喜欢吃苹果"))
    assert index.find_near(tokenize("Translate to English: 今天天气很好")) is None


def fast_rouge_l(a: list[str], b: list[str]) -> float:
    """rouge-score's F1 from the bit-parallel LCS (equal to its table: tested below)."""
    if not a or not b:
        return 0.0
    common = lcs_length(a, b)
    return fmeasure(common / len(b), common / len(a))


def exhaustive_agreement(texts: list[list[str]], threshold: float) -> int:
    """Run the index and the quadratic rule side by side; every decision must agree, and
    every drop's score is rouge-score's own."""
    kept: list[list[str]] = []
    index = NoveltyIndex(threshold)
    drops = 0
    for n, tokens in enumerate(texts):
        exhaustive_drop = any(fast_rouge_l(k, tokens) > threshold for k in kept)
        near = index.find_near(tokens)
        assert (near is not None) == exhaustive_drop, (threshold, tokens)
        if near is not None:
            drops += 1
            partner = int(near.partner_id)
            assert rouge_l_f1(texts[partner], tokens) == near.score > threshold
        else:
            kept.append(tokens)
            index.add(str(n), tokens)
    return drops


@pytest.mark.parametrize("threshold", [0.0, 0.3, 0.5, 0.7, 0.9, 1.0])
def test_index_agrees_with_the_exhaustive_rule(threshold: float, index_mode: str) -> None:
    rng = random.Random(int(threshold * 10))
    words = "write explain list give name describe the a of sea poem river city code story short long".split()
    texts = [[rng.choice(words) for _ in range(rng.randint(1, 12))] for _ in range(400)]
    drops = exhaustive_agreement(texts, threshold)
    assert threshold == 1.0 or 0 < drops < len(texts)


@pytest.mark.parametrize(
    ("index_from", "compiled_from"),
    [(10**9, 0), (1, 0), (1, 10**9), (300, 0)],  # signatures; inverted index with compiled
)  # filters, with plain loops; signatures then the inverted index from the 300th kept text
def test_index_agrees_on_zipfian_texts_with_repeats_past_several_order_renewals(
    index_from: int, compiled_from: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pipeline.curate.novelty.INDEX_FROM", index_from)
    monkeypatch.setattr("pipeline.curate.novelty._COMPILED_FROM", compiled_from)
    rng = random.Random(11)
    vocab = [f"t{i}" for i in range(300)] + list("海风山水")
    weights = [1 / (rank + 1) for rank in range(len(vocab))]
    base = [rng.choices(vocab, weights, k=rng.randint(3, 16)) for _ in range(200)]
    texts = []
    for _ in range(700):
        text = list(rng.choice(base))
        for _ in range(rng.randint(0, 4)):
            text.insert(rng.randrange(len(text) + 1), rng.choices(vocab, weights)[0])
        texts.append(text)
    assert exhaustive_agreement(texts, 0.7) > 100  # repeated tokens exercise occurrence counting


def _question_generator(language: str, seed: int):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("synthetic_questions", BENCH / "synthetic_questions.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.QuestionGenerator(language, seed=seed)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_index_agrees_on_patient_questions_whose_common_words_are_in_most_texts(
    language: str, index_mode: str
) -> None:
    """The benchmark's real-text case: "i", "have", "doctor" (我, 的, 医) in most texts,
    reposted questions with small edits."""
    stream = iter(_question_generator(language, seed=3))
    texts = [tokenize(next(stream)[1]) for _ in range(450)]
    common = "i" if language == "en" else "我"
    assert sum(common in text for text in texts) > len(texts) / 3
    drops = exhaustive_agreement(texts, 0.7)
    assert 20 < drops < len(texts) / 2


def test_fmeasure_is_rouge_scores_own_expression() -> None:
    from rouge_score.scoring import fmeasure as rouge_fmeasure

    rng = random.Random(7)
    for _ in range(5000):
        a, b = rng.randint(1, 60), rng.randint(1, 60)
        common = rng.randint(0, min(a, b))
        assert fmeasure(common / a, common / b) == rouge_fmeasure(common / a, common / b)
    assert fmeasure(0.0, 0.0) == rouge_fmeasure(0.0, 0.0) == 0.0


def test_bit_parallel_lcs_equals_rouge_scores_table() -> None:
    from rouge_score.rouge_scorer import _lcs_table

    from pipeline.curate.rouge import lcs_length

    rng = random.Random(5)
    for _ in range(2000):
        a = [rng.choice("abcdefg") for _ in range(rng.randint(0, 30))]
        b = [rng.choice("abcdefg") for _ in range(rng.randint(0, 30))]
        assert lcs_length(a, b) == _lcs_table(a, b)[-1][-1]


def test_the_byte_parallel_histogram_bound_equals_the_plain_sum() -> None:
    import numpy as np

    from pipeline.curate.novelty_kernels import histogram_survivors

    rng = np.random.default_rng(0)
    histograms = rng.integers(0, 128, size=(500, 64), dtype=np.uint8)
    histograms[::2] = rng.integers(0, 4, size=(250, 64), dtype=np.uint8)
    query = rng.integers(0, 6, size=64, dtype=np.uint8)
    lengths = rng.integers(1, 400, size=500).astype(np.uint32)
    docs, out = np.arange(500, dtype=np.int64), np.empty(500, dtype=np.int64)
    kept = histogram_survivors(
        docs, 500, histograms.view(np.uint64), query.view(np.uint64), lengths, 60, 0.7, out
    )
    expected = [
        doc
        for doc in range(500)
        if 2 * np.minimum(histograms[doc], query).astype(int).sum() >= 0.7 * (60 + int(lengths[doc]))
    ]
    assert 0 < len(expected) < 500 and out[:kept].tolist() == expected


def test_the_posting_entries_bucket_bound_never_falls_below_the_histograms() -> None:
    """The first-match kernel's bound from a posting entry's >= 1 / >= 2 bucket masks and the
    query's level masks (with buckets past 3 tokens) is at least the 64-bucket histogram sum
    Σ min(q, d): at exactly the histogram's threshold the kernel keeps every text, and it is
    tight enough to drop most of them a little above their own bound."""
    import numpy as np

    from pipeline.curate.novelty_bounds import BUCKETS, ENTRY_WORDS, LENGTH_SHIFT, bucket_bits, query_buckets
    from pipeline.curate.novelty_kernels import first_match_candidates

    def counts(token_ids: list[int]) -> np.ndarray:
        known = np.array([token_id for token_id in token_ids if token_id >= 0], dtype=np.int64)
        return np.bincount((known * 0x9E3779B1 & 0xFFFFFFFF) >> 26, minlength=BUCKETS)

    rng = random.Random(5)
    seen, out = np.zeros(1, dtype=np.uint8), np.empty(1, dtype=np.int64)
    kept_above = 0
    for _ in range(400):
        vocabulary = rng.randint(3, 300)  # small vocabularies: buckets holding 4 and more
        query = [rng.randrange(vocabulary) for _ in range(rng.randint(1, 60))]
        text = [rng.randrange(vocabulary) for _ in range(rng.randint(1, 60))]
        shared = int(np.minimum(counts(query), counts(text)).sum())
        once, twice = bucket_bits(text)
        entry = np.array([len(text) << LENGTH_SHIFT, once, twice], dtype=np.uint64).view(np.int64)
        _, masks = query_buckets(query)
        layout = np.array([[0, 0, entry.ctypes.data, ENTRY_WORDS]], dtype=np.int64)
        size, both = len(query), len(query) + len(text)
        at_histogram = 2 * shared / both - 1e-9
        assert first_match_candidates(layout, size, at_histogram, masks, seen, out) == 1
        kept_above += first_match_candidates(layout, size, 2 * (shared + 1.5) / both, masks, seen, out)
    assert kept_above < 100, kept_above


def test_a_text_with_a_token_repeated_past_a_byte_is_never_pruned_by_its_histogram(
    monkeypatch: pytest.MonkeyPatch, index_mode: str
) -> None:
    monkeypatch.setattr("pipeline.curate.novelty._COMPILED_FROM", 0)
    index = NoveltyIndex(0.7)
    index.add("long", ["la"] * 200 + ["x"])
    index.add("other", ["la"] * 3 + ["y"] * 150)
    assert index.find_near(["la"] * 199 + ["x", "y"]).partner_id == "long"
    assert index.find_near(["y"] * 148 + ["la"] * 3).partner_id == "other"


@pytest.mark.parametrize("threshold", [0.5, 0.7])
def test_index_agrees_on_texts_longer_than_a_byte_can_count(threshold: float, index_mode: str) -> None:
    """Queries past 255 tokens sum their shared bucket counts in a wider type, and a bucket
    holding 255 or more of a query's tokens counts as shared by every text."""
    rng = random.Random(5)
    vocab = [f"w{i}" for i in range(40)]
    base = [[rng.choice(vocab) for _ in range(rng.randint(200, 700))] for _ in range(25)]
    texts = []
    for _ in range(80):
        text = list(rng.choice(base))
        for _ in range(rng.randint(0, 150)):
            text[rng.randrange(len(text))] = rng.choice(vocab)
        texts.append(text)
    texts += [["la"] * 300 + ["x"], ["la"] * 280 + ["x", "y"] * 20, ["la"] * 40 + ["y"] * 200]
    assert max(len(text) for text in texts) > 255
    exhaustive_agreement(texts, threshold)


def test_a_text_added_after_its_query_is_indexed_as_added_even_if_the_list_changed(
    index_mode: str,
) -> None:
    """A caller that changes its token list between query and add gets what it added indexed,
    not what it asked about."""
    index = NoveltyIndex(0.7)
    known = "alpha beta gamma delta epsilon zeta eta theta".split()
    index.add("first", known)
    text = "words the index has never seen".split()
    assert index.find_near(text) is None
    text[:] = known + "iota kappa lambda mu nu xi omicron pi".split()  # half of it known
    index.add("changed", text)
    near = index.find_near(list(text))  # F1 1.0 with "changed", 0.67 with "first"
    assert near is not None and near.partner_id == "changed"


def test_kernels_read_postings_as_the_index_files_them() -> None:
    from pipeline.curate import novelty_bounds, novelty_kernels
    from pipeline.curate import novelty_postings as novelty

    assert novelty_kernels.LENGTH_SHIFT == novelty.LENGTH_SHIFT == novelty_bounds.LENGTH_SHIFT
    assert novelty_kernels.TEXT_MASK == novelty_bounds.TEXT_MASK == (1 << novelty.LENGTH_SHIFT) - 1


def test_a_querys_buckets_are_its_histogram_and_level_masks() -> None:
    """`query_buckets` against the plain numpy reading: the histogram of the known tokens
    (None from BUCKET_MAX up), the masks of buckets holding >= 1, 2, 3, then (bit, q - 3) for
    each bucket holding q > 3."""
    import numpy as np

    from pipeline.curate.novelty_bounds import BUCKET_MAX, query_buckets, token_histogram

    rng = random.Random(11)
    cases = [[], [-1, -2], [5] * 200, [7] * 4 + [1, 2]]
    cases += [[rng.randint(-3, 400) for _ in range(rng.randint(1, 60))] for _ in range(500)]
    for token_ids in cases:
        known = np.array([token_id for token_id in token_ids if token_id >= 0], dtype=np.int64)
        counts = np.bincount((known * 0x9E3779B1 & 0xFFFFFFFF) >> 26, minlength=64)
        histogram, masks = query_buckets(token_ids)
        if counts.max() >= BUCKET_MAX:
            assert histogram is None
        else:
            assert histogram is not None and histogram.tolist() == token_histogram(known).tolist()
        expected = [
            sum(1 << bucket for bucket in range(64) if counts[bucket] >= level) for level in (1, 2, 3)
        ]
        for bucket in range(64):
            if counts[bucket] > 3:
                expected += [1 << bucket, counts[bucket] - 3]
        assert masks.tolist() == expected


def test_the_length_window_holds_every_length_the_first_match_test_passes() -> None:
    """`passable_lengths` only skips lengths the entry test would refuse: for every query
    size, first-match positions and threshold, each length n with 2·(1 + min(|a|-i-1,
    n-j-1)) >= relaxed·(|a|+n) lies inside the window, and the window is narrow."""
    from pipeline.curate.novelty_bounds import SLACK
    from pipeline.curate.novelty_kernels import passable_lengths

    widths = []
    for threshold in (0.0, 0.1, 0.3, 0.5, 0.7, 0.7000000000000001, 0.9, 1.0):
        relaxed = threshold - SLACK
        for size in range(1, 48):
            for i in range(0, size, 2):
                for j in range(0, 50, 4):
                    shortest, longest = passable_lengths(size, i, j, relaxed)
                    passing = [
                        n
                        for n in range(1, 400)
                        if 2 * (1 + min(size - i - 1, n - j - 1)) >= relaxed * (size + n)
                    ]
                    assert all(shortest <= n <= longest for n in passing), (threshold, size, i, j)
                    if threshold == 0.7 and passing:
                        widths.append(longest - shortest + 1 - len(passing))
    assert max(widths) <= 3


def test_postings_stay_in_code_order_as_texts_of_any_length_arrive(monkeypatch: pytest.MonkeyPatch) -> None:
    """Entries are ordered by (length, text) whatever order lengths arrive in, through the
    order renewals too: the compiled filter reads a length window by binary search."""
    from pipeline.curate.novelty_bounds import ENTRY_WORDS

    monkeypatch.setattr("pipeline.curate.novelty.INDEX_FROM", 1)
    rng = random.Random(2)
    vocab = [f"w{n}" for n in range(40)]
    index = NoveltyIndex(0.7)
    for n in range(1500):
        index.add(str(n), rng.choices(vocab, k=rng.randint(1, 30)))
    assert len(index._postings.lists) > 100
    for posting in index._postings.lists.values():
        codes = posting[::ENTRY_WORDS]
        assert codes.tolist() == sorted(codes)
    assert max(len(posting) for posting in index._postings.lists.values()) > 20 * ENTRY_WORDS


def test_a_text_added_right_after_its_query_is_filed_as_one_added_unqueried(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`add` reuses the ids and order its own query computed: the postings come out the same
    as those of an index that never queried, through order renewals and unseen tokens."""
    monkeypatch.setattr("pipeline.curate.novelty.INDEX_FROM", 1)
    rng = random.Random(8)
    vocab = [f"w{n}" for n in range(60)]
    queried, plain = NoveltyIndex(0.7), NoveltyIndex(0.7)
    for n in range(1200):
        text = rng.choices(vocab, k=rng.randint(1, 20)) + [f"new{n}"] * (n % 3 == 0)
        if n % 5 == 0:
            queried.find_near(rng.choices(vocab, k=4))  # another text's query in between
        queried.find_near(text)
        queried.add(str(n), text)
        plain.add(str(n), text)
    assert queried._postings.lists == plain._postings.lists
    assert queried._flat == plain._flat and queried._vocab == plain._vocab
