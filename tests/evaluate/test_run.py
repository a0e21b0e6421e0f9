import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.config import PipelineConfig
from pipeline.errors import SeedforgeError
from pipeline.evaluate.config import EvaluateConfig
from pipeline.evaluate.evalsets import items_from_records
from pipeline.evaluate.run import EvalRequest, evaluate_build, run_evaluation
from pipeline.llm.endpoint import Endpoint
from pipeline.records import AlpacaRecord, Lineage
from tests.evaluate.conftest import WORD_RECORDS, WORD_TRAINING, first_position_judge, skill_judge
from tests.evaluate.judge_server import JudgeServer

PARIS = AlpacaRecord(
    instruction="Name the capital of France.", output="Paris.", lineage=Lineage(generator="t")
)
FAST = EvaluateConfig(max_new_tokens=12, semantic_similarity=False)


def request(tiny: Path, adapter: Path, out: Path, judge=None, **extra) -> EvalRequest:
    return EvalRequest(
        base_model=str(tiny),
        adapter_dir=adapter,
        out_dir=out,
        train=WORD_TRAINING,
        settings=extra.pop("settings", FAST),
        judge=judge,
        journal_path=out.parent / "journal.sqlite3",
        progress=lambda *_: None,
        **extra,
    )


def endpoint(server: JudgeServer) -> Endpoint:
    return Endpoint(base_url=server.base_url, api_key="k", model="scripted-judge", embedded=False)


def test_tuned_beats_base_on_every_metric(tiny_llama_dir: Path, word_adapter: Path, tmp_path: Path) -> None:
    out = tmp_path / "eval"
    with JudgeServer(skill_judge) as server:
        report = run_evaluation(
            items_from_records(WORD_RECORDS), request(tiny_llama_dir, word_adapter, out, endpoint(server))
        )
    assert len(server.bodies) == 16 and all(b["temperature"] == 0 for b in server.bodies)
    overall = report["overall"]
    assert overall["tuned"]["rouge_l"] > 0.5 > overall["base"]["rouge_l"]
    assert overall["tuned"]["judge"] == 0.9 and overall["base"]["judge"] == 0.1
    pair = overall["pairwise"]
    assert (pair["wins"], pair["ties"], pair["losses"], pair["win_rate"]) == (4, 0, 0, 1.0)
    assert 0.45 < pair["ci95"][0] < 0.55 and pair["ci95"][1] == 1.0 and pair["position_consistency"] == 1.0
    assert report["loss"]["tuned_loss"] < report["loss"]["base_loss"]
    assert report["generation"]["tuned"]["ended_with_eos"] == 4
    assert report["judge"]["failures"] == 0 and report["by_category"]["general"]["items"] == 4
    assert {p.name for p in out.iterdir()} == {"report.md", "report.json", "items.jsonl", "plots"}
    assert {p.name for p in (out / "plots").iterdir()} == {"scores_by_category.png", "pairwise.png"}
    rows = [json.loads(line) for line in (out / "items.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == [r.id for r in WORD_RECORDS]
    assert all(re.fullmatch(r"Word \d\.", r["tuned"]["answer"]) for r in rows)
    markdown = (out / "report.md").read_text()
    assert "tuned is **better than** base" in markdown and "| base | tuned |" in markdown
    assert json.loads((out / "report.json").read_text())["overall"] == overall


def test_position_bias_becomes_ties_and_bad_replies_are_counted(
    tiny_llama_dir: Path, word_adapter: Path, tmp_path: Path
) -> None:
    with JudgeServer(first_position_judge) as server:
        report = run_evaluation(
            items_from_records(WORD_RECORDS[:2]),
            request(tiny_llama_dir, word_adapter, tmp_path / "eval", endpoint(server)),
        )
    pair = report["overall"]["pairwise"]
    assert (pair["ties"], pair["win_rate"], pair["position_consistency"]) == (2, 0.5, 0.0)
    assert report["judge"]["failures"] == 4 and report["overall"]["tuned"]["judge"] is None


def test_items_near_training_are_dropped_and_reported(
    tiny_llama_dir: Path, word_adapter: Path, tmp_path: Path
) -> None:
    near = AlpacaRecord(instruction="Repeat the word number 0!", output="x", lineage=Lineage(generator="t"))
    report = run_evaluation(
        items_from_records([WORD_RECORDS[0], PARIS]),
        request(
            tiny_llama_dir,
            word_adapter,
            tmp_path / "eval",
            training_records=[near],
            training_source="train.jsonl",
        ),
    )
    assert report["eval_set"]["items"] == 1
    assert report["decontamination"]["dropped"][0]["item_id"] == WORD_RECORDS[0].id
    assert report["judge"] is None and report["overall"]["pairwise"] is None
    with pytest.raises(SeedforgeError, match="empty after decontamination"):
        run_evaluation(
            items_from_records(WORD_RECORDS[:1]),
            request(tiny_llama_dir, word_adapter, tmp_path / "none", training_records=[near]),
        )
    assert not (tmp_path / "none").exists()


def test_bad_adapter_or_busy_output_leaves_nothing(
    tiny_llama_dir: Path, word_adapter: Path, tmp_path: Path, smol_tokenizer_dir: Path
) -> None:
    import shutil

    from transformers import LlamaConfig, LlamaForCausalLM

    narrow = tmp_path / "narrow"
    LlamaForCausalLM(
        LlamaConfig(
            vocab_size=49152,
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=2,
            intermediate_size=64,
        )
    ).save_pretrained(narrow)
    for item in smol_tokenizer_dir.iterdir():
        shutil.copy(item, narrow / item.name)
    items = items_from_records(WORD_RECORDS)
    with pytest.raises(SeedforgeError, match="the adapter was made for another base: its layer 0"):
        run_evaluation(items, request(narrow, word_adapter, tmp_path / "out"))
    with pytest.raises(SeedforgeError, match="not a PEFT adapter"):
        run_evaluation(items, request(tiny_llama_dir, tmp_path, tmp_path / "out"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["narrow"]
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "keep.txt").write_text("x")
    with pytest.raises(SeedforgeError, match="not empty"):
        run_evaluation(items, request(tiny_llama_dir, word_adapter, busy))
    run_evaluation(items[:1], request(tiny_llama_dir, word_adapter, busy, overwrite=True))
    assert (busy / "report.md").is_file() and not (busy / "keep.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["busy", "narrow"]


def test_evaluate_build_returns_the_figures(tiny_llama_dir: Path, word_adapter: Path, tmp_path: Path) -> None:
    config = PipelineConfig(train=WORD_TRAINING, evaluate=FAST)
    with JudgeServer(skill_judge) as server:
        figures = evaluate_build(
            WORD_RECORDS[:2],
            str(tiny_llama_dir),
            word_adapter,
            config,
            tmp_path / "eval",
            endpoint(server),
            train_records=[PARIS],
        )
    assert "items" not in figures and figures["overall"]["pairwise"]["wins"] == 2
    assert figures["decontamination"]["checked_against"] == "the build's train split"
    assert figures["decontamination"]["dropped"] == [] and figures["loss"]["records"] == 2
    assert figures["eval_set"]["name"] == "demo held-out split"
    with pytest.raises(SeedforgeError, match="held-out set is empty"):
        evaluate_build([], str(tiny_llama_dir), word_adapter, config, tmp_path / "e2", None)


def test_cli_reads_a_user_eval_set(
    tiny_llama_dir: Path, word_adapter: Path, tmp_path: Path, data_dir: Path
) -> None:
    belle = tmp_path / "belle.json"
    belle.write_text(
        "\n".join(
            json.dumps({"question": r.instruction, "std_answer": r.output, "class": "open QA"})
            for r in WORD_RECORDS[:2]
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    common = [
        "eval",
        "--adapter",
        str(word_adapter),
        "--base-model",
        str(tiny_llama_dir),
        "--out",
        str(out),
        "--max-new-tokens",
        "8",
        "--no-semantic",
    ]
    with JudgeServer(skill_judge) as server:
        result = CliRunner().invoke(
            app,
            common
            + ["--eval-set", str(belle), "--judge-base-url", server.base_url, "--judge-model", "scripted"],
        )
    assert result.exit_code == 0, result.output
    assert "tuned is **not distinguishable from** base (win rate 1.00" in result.output  # n=2: CI 0.34-1
    report = json.loads((out / "report.json").read_text())
    assert list(report["by_category"]) == ["open_qa"] and report["judge"]["model"] == "scripted"
    bad = tmp_path / "bad.json"
    bad.write_text('{"question": "ok"}\n{"question": ', encoding="utf-8")
    result = CliRunner().invoke(app, common[:-4] + [str(tmp_path / "out2"), "--eval-set", str(bad)])
    assert result.exit_code == 2 and f"{bad}:2: not valid JSON" in result.output
    assert not (tmp_path / "out2").exists()
