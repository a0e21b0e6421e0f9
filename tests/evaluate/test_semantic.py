"""Semantic similarity on Chinese answers: the multilingual model shipped in a wheel, chosen by
the reference's language, and named in the report."""

from pathlib import Path

import pytest

from pipeline.evaluate.config import EvaluateConfig
from pipeline.evaluate.evalsets import items_from_records
from pipeline.evaluate.metrics import SemanticScorer
from pipeline.evaluate.report import semantic_line
from pipeline.evaluate.run import run_evaluation
from pipeline.evaluate.semantic import (
    MINILM,
    USE_MULTILINGUAL,
    MultilingualScorer,
    SemanticSimilarity,
    reference_language,
)
from pipeline.records import AlpacaRecord, Lineage
from tests.evaluate.test_run import request

GOUT = "痛风是尿酸结晶沉积在关节引起的，建议检查血尿酸，服用秋水仙碱。"
GOUT_PARAPHRASE = "这是痛风，因为尿酸盐晶体在关节里沉积。请查一下血尿酸，可以吃秋水仙碱。"
PHOTOSYNTHESIS = "光合作用是植物利用阳光把二氧化碳和水变成葡萄糖和氧气的过程。"
PHOTOSYNTHESIS_PARAPHRASE = "植物通过光合作用，用光能将二氧化碳和水转化为糖并释放氧气。"
UNRELATED = ["今天天气很好，我们去公园散步吧。", "这台笔记本电脑的电池可以使用十个小时。"]


@pytest.fixture(scope="module")
def multilingual() -> MultilingualScorer:
    return MultilingualScorer()


def test_identical_chinese_answers_score_one(multilingual: MultilingualScorer) -> None:
    scores = multilingual.similarities([GOUT, PHOTOSYNTHESIS], [GOUT, PHOTOSYNTHESIS])
    assert scores == [pytest.approx(1.0, abs=1e-3)] * 2


def test_unrelated_chinese_answers_score_low_and_paraphrases_high(multilingual: MultilingualScorer) -> None:
    paraphrases = multilingual.similarities(
        [GOUT_PARAPHRASE, PHOTOSYNTHESIS_PARAPHRASE], [GOUT, PHOTOSYNTHESIS]
    )
    unrelated = multilingual.similarities(UNRELATED, [GOUT, PHOTOSYNTHESIS])
    assert min(paraphrases) > 0.7 and max(unrelated) < 0.2, (paraphrases, unrelated)
    assert multilingual.similarities([], []) == []
    with pytest.raises(ValueError):
        multilingual.similarities(["a"], [])


class RecordingScorer:
    """Stands in for MiniLM: records what it was asked and scores every pair 0.5."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str]] = []

    def similarities(self, predictions: list[str], references: list[str]) -> list[float]:
        self.asked += list(zip(predictions, references, strict=True))
        return [0.5] * len(predictions)


def test_each_pair_is_scored_by_the_measure_for_its_reference_language() -> None:
    similarity = SemanticSimilarity()
    similarity.default = RecordingScorer()  # type: ignore[assignment]
    references = ["Gout comes from uric acid crystals.", GOUT, "Paris is the capital.", PHOTOSYNTHESIS]
    answers = ["Uric acid crystals cause gout.", GOUT, "It is Lyon.", UNRELATED[0]]
    scores = similarity.similarities(answers, references)
    assert scores[0] == scores[2] == 0.5 and scores[1] == pytest.approx(1.0, abs=1e-3) and scores[3] < 0.2
    assert similarity.default.asked == [(answers[0], references[0]), (answers[2], references[2])]  # type: ignore[attr-defined]
    measures = similarity.measures(references)
    assert {language: found["measure"] for language, found in measures.items()} == {
        "zh": USE_MULTILINGUAL.name,
        "other": MINILM.name,
    }
    assert measures["zh"]["items"] == measures["other"]["items"] == 2
    line = semantic_line(measures)
    assert "Chinese answers (2 items): cosine of universal-sentence-encoder-multilingual-3" in line
    assert "other answers (2 items): cosine of all-MiniLM-L6-v2" in line


def test_the_multilingual_model_can_be_turned_off() -> None:
    similarity = SemanticSimilarity(multilingual=False)
    similarity.default = RecordingScorer()  # type: ignore[assignment]
    assert similarity.similarities([GOUT], [GOUT]) == [0.5]
    assert similarity.measures([GOUT])["zh"]["measure"] == MINILM.name


def test_reference_language() -> None:
    assert reference_language(GOUT) == "zh" and reference_language("Word 1.") == "other"
    assert reference_language("用 Python 写一个函数，返回列表的最大值。") == "zh"
    assert reference_language("def f(x): return max(x)  # 最大值") == "other"
    assert semantic_line(None) == "- semantic similarity: not computed"


CHINESE_RECORDS = [
    AlpacaRecord(instruction=f"Repeat the word number {i}.", output=text, lineage=Lineage(generator="test"))
    for i, text in enumerate([GOUT, PHOTOSYNTHESIS])
]


def test_the_report_states_the_measure_chinese_answers_got(
    tiny_llama_dir: Path, word_adapter: Path, tmp_path: Path
) -> None:
    out = tmp_path / "eval"
    settings = EvaluateConfig(max_new_tokens=6, judge=False)
    report = run_evaluation(
        items_from_records(CHINESE_RECORDS), request(tiny_llama_dir, word_adapter, out, settings=settings)
    )
    measures = report["semantic_similarity"]
    assert list(measures) == ["zh"] and measures["zh"]["measure"] == USE_MULTILINGUAL.name
    assert measures["zh"]["items"] == 2 and report["overall"]["scored"]["semantic"] == 2
    assert -1 <= report["overall"]["tuned"]["semantic"] <= 1
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert (
        "- semantic similarity: Chinese answers (2 items): cosine of universal-sentence-encoder" in markdown
    )


@pytest.mark.slow
def test_minilm_cannot_tell_unrelated_chinese_apart_the_multilingual_model_can(
    multilingual: MultilingualScorer,
) -> None:
    """Why Chinese gets its own model: MiniLM's gap between paraphrases and unrelated answers
    is far smaller on Chinese (measured 0.53 vs 0.76 here)."""
    references = [GOUT, PHOTOSYNTHESIS] * 2
    answers = [GOUT_PARAPHRASE, PHOTOSYNTHESIS_PARAPHRASE, *UNRELATED]

    def gap(scores: list[float]) -> float:
        return (scores[0] + scores[1]) / 2 - (scores[2] + scores[3]) / 2

    minilm, use = (
        SemanticScorer().similarities(answers, references),
        multilingual.similarities(answers, references),
    )
    assert max(minilm[2:]) > 0.2 > max(use[2:]) and gap(use) > gap(minilm) + 0.15, (minilm, use)
