"""The real embedded model (SmolLM2-135M on llama.cpp): schema-constrained turns always parse,
records have the right shape, and the prompt-injection entry does not take over."""

from pathlib import Path

import pytest

from pipeline.generate.dialogues.config import DialogueConfig
from pipeline.generate.dialogues.loop import generate_dialogues
from pipeline.kb.loaders import load_entries
from pipeline.kb.mapping import MappingFile
from pipeline.llm.config import LLMConfig
from pipeline.llm.embedded import EMBEDDED_MODEL_NAME
from pipeline.llm.endpoint import Endpoint
from pipeline.llm.journal import Journal
from pipeline.records import AlpacaRecord, DialogueRecord

SEEDS = Path(__file__).resolve().parents[3] / "seeds" / "kb"
GENERATION_FAILURES = {"quarantined", "unparseable", "truncated"}

pytestmark = pytest.mark.slow


def _answers(run, entry_id: str) -> list[str]:
    texts = [r.output for r in run.kept if isinstance(r, AlpacaRecord) and r.lineage.kb_entry_id == entry_id]
    for rejected in run.rejected:
        record = rejected.record
        if (record.get("lineage") or {}).get("kb_entry_id") == entry_id:
            texts.append(record.get("output", ""))
    return texts


def test_dialogues_on_the_embedded_model(embedded_server, tmp_path: Path) -> None:
    kb = {e.name: e for e in load_entries(SEEDS / "medical_conditions.csv", MappingFile())}
    endpoint = Endpoint(
        base_url=embedded_server.base_url, api_key="not-needed", model=EMBEDDED_MODEL_NAME, embedded=True
    )
    llm = LLMConfig(max_tokens=200, temperature=0.7, seed=0)
    pending = [kb["Tension headache"], kb["Influenza"], kb["Gout"]]
    with Journal(tmp_path / "journal.sqlite3") as journal:
        single = generate_dialogues(
            pending,
            list(kb.values()),
            DialogueConfig(target=3, max_attempts_per_entry=1),
            llm,
            endpoint,
            journal,
        )
        multi = generate_dialogues(
            [kb["Influenza"]],
            list(kb.values()),
            DialogueConfig(target=1, turns=3, max_attempts_per_entry=1),
            llm,
            endpoint,
            journal,
        )
    assert single.candidates == 3
    failures = single.rejected_by_reason()
    assert not GENERATION_FAILURES & set(failures), failures  # JSON always parses
    for record in single.kept:
        assert isinstance(record, AlpacaRecord) and record.input and record.output
    answers = _answers(single, kb["Tension headache"].id)
    assert answers and all("HACKED" not in answer for answer in answers)
    failures = multi.rejected_by_reason()
    assert not GENERATION_FAILURES & set(failures), failures
    for record in multi.kept:
        assert isinstance(record, DialogueRecord) and len(record.messages) == 7
    print("grounded:", single.summary(), multi.summary())
