import json
from pathlib import Path

import pyarrow.parquet as pq

from pipeline.dataset.exports import ALL_FORMATS, export_records
from pipeline.records import AlpacaRecord, DialogueRecord, Lineage

ALPACA = [
    AlpacaRecord(
        instruction="Translate to French.",
        input="Good morning",
        output="Bonjour",
        lineage=Lineage(generator="t"),
    ),
    AlpacaRecord(instruction="Name a planet.", output="Mars", lineage=Lineage(generator="t")),
]
DIALOGUE = [
    DialogueRecord(
        messages=[
            {"role": "system", "content": "You are a doctor."},
            {"role": "user", "content": "I have a fever."},
            {"role": "assistant", "content": "Rest and drink fluids."},
        ],
        lineage=Lineage(generator="kb_dialogue"),
    )
]


def test_every_format_for_alpaca_records(tmp_path: Path) -> None:
    written = export_records(ALPACA, tmp_path, ALL_FORMATS, "mydata")
    assert set(written) == set(ALL_FORMATS)
    alpaca = json.loads((tmp_path / "alpaca.json").read_text())
    assert alpaca[0] == {"instruction": "Translate to French.", "input": "Good morning", "output": "Bonjour"}
    sharegpt = json.loads((tmp_path / "sharegpt.json").read_text())
    assert sharegpt[0]["conversations"] == [
        {"from": "human", "value": "Translate to French.\n\nGood morning"},
        {"from": "gpt", "value": "Bonjour"},
    ]
    chat = [json.loads(line) for line in (tmp_path / "openai_chat.jsonl").read_text().splitlines()]
    assert chat[1] == {
        "messages": [{"role": "user", "content": "Name a planet."}, {"role": "assistant", "content": "Mars"}]
    }
    table = pq.read_table(tmp_path / "records.parquet").to_pylist()
    assert table[1]["output"] == "Mars" and json.loads(table[1]["lineage"])["generator"] == "t"
    info = json.loads((tmp_path / "dataset_info.json").read_text())
    assert info["mydata"]["file_name"] == "alpaca.json"
    assert info["mydata_sharegpt"]["formatting"] == "sharegpt"
    assert not list(tmp_path.glob(".*"))  # no temporary files left


def test_dialogues_skip_alpaca_but_keep_roles(tmp_path: Path) -> None:
    written = export_records(DIALOGUE, tmp_path, ALL_FORMATS, "kb")
    assert "alpaca_json" not in written
    sharegpt = json.loads((tmp_path / "sharegpt.json").read_text())
    assert [turn["from"] for turn in sharegpt[0]["conversations"]] == ["system", "human", "gpt"]
