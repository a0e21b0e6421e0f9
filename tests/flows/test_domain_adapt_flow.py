"""The domain-adapt flow on a real Prefect server, with the tiny random model as base: the
shipped Chinese medical corpus built, the vocabulary extended, continued pretraining, then
fine-tune and evaluation on an existing dataset version on top of the pretrained model, and the
three models compared; each stage's report is an artifact. A second run reuses every stage (no
new corpus version, no new vocabulary, no pretraining step). The chain on the embedded SmolLM2
is in docs/domain-adaptation.md."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.dataset.versions import write_version
from tests.flows.conftest import run_flow_in_child
from tests.study.conftest import records
from tests.support.prefect_server import PrefectServer

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


def params(base_model: Path) -> dict:
    small_train = {"epochs": 1, "batch_size": 8, "micro_batch_size": 8, "cutoff_len": 64, "warmup_steps": 0}
    return {
        "name": "medical",
        "paths": ["seeds/corpora/medical_zh"],
        "corpus": {"base_model": str(base_model), "block_size": 64, "heldout_fraction": 0.2},
        "vocab_add": 100,
        "pretrain": {
            "max_steps": 3,
            "batch_size": 4,
            "micro_batch_size": 4,
            "eval_blocks": 8,
            "warmup_steps": 0,
        },
        "dataset": "tuned-on",
        "instructions": {
            "name": "tuned-on",
            "train": small_train,
            "evaluate": {"judge": False, "semantic_similarity": False, "max_new_tokens": 8},
        },
    }


def run_flow(env: dict[str, str], base_model: Path) -> dict:
    form = "pipeline.domain.config.DomainAdaptParams"
    return run_flow_in_child("flows.domain_adapt", "domain_adapt", form, params(base_model), env)


def test_domain_adapt_flow_chains_every_stage_and_reuses_them(
    shared_prefect_server: PrefectServer, tmp_path: Path, tiny_llama_dir: Path
) -> None:
    data = tmp_path / "data"
    write_version(
        "tuned-on",
        records("train", 0),
        records("heldout", 1),
        [],
        config={},
        stats={},
        root=data / "datasets",
    )
    server = shared_prefect_server
    # the server is shared with other modules: this test's flow runs are those from now on
    since = {"flow_runs": {"expected_start_time": {"after_": datetime.now(UTC).isoformat()}}}
    env = server.client_env(SEEDFORGE_DATA_DIR=str(data), PYTHONPATH=str(REPO))
    first = run_flow(env, tiny_llama_dir)
    corpus = Path(first["corpus"])
    assert corpus == data / "corpora" / "medical" / "v1"
    vocab = json.loads((Path(first["vocab"]) / "vocab.json").read_text())
    assert vocab["added"] == 100 and vocab["tokens_per_1000_chars"]["reduction"] > 0.1
    assert first["pretrain"]["reused"] is False
    ladder = {row["model"]: row for row in first["ladder"]}
    assert list(ladder) == ["base", "domain-pretrained", "pretrained + tuned"]
    assert ladder["base"]["vocab_size"] + 100 == ladder["domain-pretrained"]["vocab_size"]
    assert ladder["pretrained + tuned"]["vocab_size"] == ladder["domain-pretrained"]["vocab_size"]
    for row in ladder.values():
        assert row["domain"]["perplexity"] > 1 and row["general"]["perplexity"] > 1
        assert row["instructions"]["tokens"] > 0
    # the tuned adapter was trained on the instructions: its held-out loss moved from its base's
    assert ladder["pretrained + tuned"]["instructions"] != ladder["domain-pretrained"]["instructions"]
    adapter_config = json.loads((Path(first["instructions"]["adapter"]) / "adapter_config.json").read_text())
    assert adapter_config["base_model_name_or_path"] == first["pretrain"]["merged"]
    with server.client() as client:
        runs = client.post("/flow_runs/filter", json=since).json()
        names = sorted(client.get(f"/flows/{r['flow_id']}").json()["name"] for r in runs)
        assert names == ["domain-adapt", "evaluate", "finetune"]
        wanted = [
            f"medical-{kind}"
            for kind in ("corpus-report", "vocab-report", "pretrain-report", "domain-ladder")
        ]
        found = client.post("/artifacts/filter", json={"artifacts": {"key": {"any_": wanted}}}).json()
    assert sorted({a["key"] for a in found}) == sorted(wanted)
    assert "| pretrained + tuned |" in next(a["data"] for a in found if a["key"] == "medical-domain-ladder")

    second = run_flow(env, tiny_llama_dir)
    assert second["corpus"] == first["corpus"] and second["vocab"] == first["vocab"]
    assert second["pretrain"]["reused"] is True
    assert sorted(p.name for p in (data / "corpora" / "medical").iterdir()) == ["v1"]
    assert second["ladder"][1]["domain"] == first["ladder"][1]["domain"]
