"""The real thing, once: the embedded llama.cpp model as judge (grammar-constrained JSON) and
all-MiniLM-L6-v2 from its wheel, offline."""

import json
from pathlib import Path

import pytest

from pipeline.evaluate.config import EvaluateConfig
from pipeline.evaluate.evalsets import load_eval_set
from pipeline.evaluate.metrics import SemanticScorer
from pipeline.evaluate.run import EvalRequest, run_evaluation
from pipeline.llm.embedded import EMBEDDED_MODEL_NAME
from pipeline.llm.endpoint import Endpoint
from tests.evaluate.conftest import WORD_RECORDS, WORD_TRAINING

pytestmark = pytest.mark.slow


def test_semantic_similarity_loads_offline_and_ranks_paraphrases() -> None:
    scorer = SemanticScorer()
    close, far = scorer.similarities(
        ["A cat sits on the mat.", "A cat sits on the mat."],
        ["The kitten is sitting on a rug.", "Interest rates rose in May."],
    )
    assert close > 0.5 > far and scorer.similarities([], []) == []


def test_embedded_judge_scores_and_compares(
    tiny_llama_dir: Path, word_adapter: Path, tmp_path: Path, embedded_server
) -> None:
    eval_file = tmp_path / "belle.json"
    eval_file.write_text(
        "\n".join(
            json.dumps({"question": r.instruction, "std_answer": r.output, "class": cls})
            for r, cls in zip(WORD_RECORDS[:2], ["open qa", "Poetry"], strict=True)
        ),
        encoding="utf-8",
    )
    judge = Endpoint(
        base_url=embedded_server.base_url, api_key="not-needed", model=EMBEDDED_MODEL_NAME, embedded=True
    )
    request = EvalRequest(
        base_model=str(tiny_llama_dir),
        adapter_dir=word_adapter,
        out_dir=tmp_path / "out",
        train=WORD_TRAINING,
        settings=EvaluateConfig(max_new_tokens=8, judge_max_tokens=96),
        judge=judge,
        journal_path=tmp_path / "journal.sqlite3",
        progress=lambda *_: None,
    )
    report = run_evaluation(load_eval_set(eval_file), request)
    judge_info = report["judge"]
    assert judge_info["requests"] == 8 and judge_info["llm"]["requests_sent"] == 8
    # a 135M judge is weak, but its replies follow the schema, so nearly all are usable
    assert judge_info["failures"] <= 1
    assert report["overall"]["pairwise"]["judged"] >= 1
    assert report["overall"]["tuned"]["semantic"] > report["overall"]["base"]["semantic"]
    assert set(report["by_category"]) == {"open_qa", "poetry"}
    assert report["by_category"]["poetry"]["rubric"] == "general"
