"""The knowledge-base flow on Prefect: ingest, dialogues for new entries only, a dataset version
of all the KB's dialogues, and the report artifact; a rerun on an unchanged KB does nothing."""

from pathlib import Path

import pytest

from tests.flows.conftest import read_artifacts
from tests.generate.dialogues.kb_chat_server import bodies, kb_chat_server

pytestmark = pytest.mark.slow
KB = (
    "condition,symptoms,tests,medications\nGout,joint pain; red toe,uric acid,colchicine\n"
    "Influenza,fever; cough,rapid influenza test,oseltamivir\nMigraine,headache; nausea,MRI,sumatriptan\n"
)


def test_kb_flow_is_incremental(prefect_harness, data_dir: Path, tmp_path: Path) -> None:
    from flows.ingest_knowledge_base import ingest_knowledge_base
    from pipeline.config import KnowledgeBaseParams
    from pipeline.evaluate.config import EvaluateConfig
    from pipeline.generate.dialogues.config import DialogueConfig
    from pipeline.llm.config import LLMConfig

    kb = tmp_path / "kb.csv"
    kb.write_text(KB, encoding="utf-8")
    with kb_chat_server() as server:
        params = KnowledgeBaseParams(
            kb="flowkb",
            paths=[str(kb)],
            dialogues=DialogueConfig(target=3, max_attempts_per_entry=1),
            llm=LLMConfig(base_url=server.base_url, max_tokens=64),
            evaluate=EvaluateConfig(heldout_fraction=0.34, min_heldout=1),
        )
        first = ingest_knowledge_base(params)
        assert first["ingest"]["totals"]["new"] == 3
        assert first["dialogues"]["kept"] == 3 and first["dialogues"]["grounded_rate"] == 1.0
        version = Path(first["dataset"])
        assert (version / "manifest.json").is_file() and (version / "sharegpt.json").is_file()
        report = read_artifacts(["kb-flowkb-kb-report"])["kb-flowkb-kb-report"]
        assert "coverage: 3/3 entries have dialogues" in report
        sent = len(bodies(server))
        again = ingest_knowledge_base(params)
        assert again["ingest"]["totals"]["unchanged"] == 3 and again["dialogues"]["pending"] == 0
        assert len(bodies(server)) == sent and again["dataset"] == first["dataset"]


def test_an_endpoint_that_cannot_answer_fails_the_run_before_the_store_changes(
    prefect_harness, data_dir: Path, tmp_path: Path
) -> None:
    """The flow ingested (and committed) the KB first, then failed on the endpoint."""
    from flows.ingest_knowledge_base import ingest_knowledge_base
    from pipeline.config import KnowledgeBaseParams
    from pipeline.llm.config import LLMConfig
    from pipeline.llm.discovery import Unreachable

    kb = tmp_path / "kb.csv"
    kb.write_text(KB, encoding="utf-8")
    params = KnowledgeBaseParams(
        kb="deadkb", paths=[str(kb)], llm=LLMConfig(base_url="http://127.0.0.1:9/v1", model="m")
    )
    with pytest.raises(Unreachable):
        ingest_knowledge_base(params)
    assert not list(data_dir.rglob("deadkb*"))
