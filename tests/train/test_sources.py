import json
from pathlib import Path

import pytest

from pipeline.dataset.versions import sha256_file, write_version
from pipeline.errors import SeedforgeError
from pipeline.records import AlpacaRecord, DialogueRecord, Lineage
from pipeline.train.sources import load_training_data, split_validation, validation_count

ALPACA = {"instruction": "Add the numbers.", "input": "2, 3", "output": "5"}
MESSAGES = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."}]}


def test_json_list_and_jsonl_of_alpaca_and_messages_records(tmp_path: Path) -> None:
    listed = tmp_path / "alpaca_data.json"
    listed.write_text(json.dumps([ALPACA, {**ALPACA, "input": None}, MESSAGES]), encoding="utf-8")
    data = load_training_data(listed)
    assert [type(r) for r in data.records] == [AlpacaRecord, AlpacaRecord, DialogueRecord]
    assert data.records[1].input == "" and data.records[0].output == "5"
    assert data.source == {
        "kind": "file",
        "path": str(listed.resolve()),
        "sha256": sha256_file(listed),
        "records": 3,
    }
    lines = tmp_path / "data.jsonl"
    sharegpt = {"conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello."}]}
    lines.write_text("\n".join(json.dumps(r) for r in (ALPACA, sharegpt)) + "\n\n", encoding="utf-8")
    records = load_training_data(lines).records
    assert records[1].messages[1].role == "assistant" and records[1].messages[1].content == "Hello."


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "the dataset file is empty"),
        ("[]", "no records to train on"),
        (
            '{"instruction": "a", "output": "b"}\n{"instruction": "a"}\n',
            r"data.jsonl:2: record: expected an Alpaca.*; output is missing or null$",
        ),
        (
            '{"instruction": "a", "input": 3, "output": null}\n',
            r"data.jsonl:1: record: .*; input is a number, not a string, output is missing or null$",
        ),
        ('{"instruction": "a", "output": "b"}\nnot json\n', r"data.jsonl:2: not a JSON line"),
        (
            '{"messages": [{"role": "user", "content": "x"}, {"role": "user", "content": "y"}]}\n',
            "no assistant message",
        ),
        ('{"messages": [{"role": "tool", "content": "x"}]}\n', "needs a role"),
    ],
)
def test_bad_files_are_clear_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "data.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SeedforgeError, match=message):
        load_training_data(path)


def test_json_list_errors_name_the_record(tmp_path: Path) -> None:
    path = tmp_path / "data.json"
    path.write_text(json.dumps([ALPACA, {"output": "x"}]), encoding="utf-8")
    with pytest.raises(SeedforgeError, match=r"data.json: record 2: expected an Alpaca record"):
        load_training_data(path)
    path.write_text('{"instruction": "a", "output": "b"}\n', encoding="utf-8")
    with pytest.raises(SeedforgeError, match="must be a JSON list"):
        load_training_data(path)


def test_dataset_version_by_path_and_by_name(data_dir: Path) -> None:
    records = [
        AlpacaRecord(instruction=f"Task {i}", output=f"Answer {i}", lineage=Lineage(generator="t"))
        for i in range(5)
    ]
    version = write_version("toy", records[:4], records[4:], [], config={}, stats={})
    for spec in (str(version.path), "toy"):
        data = load_training_data(spec)
        assert [r.id for r in data.records] == [r.id for r in records[:4]]  # train split only
        assert data.source["name"] == "toy" and data.source["version"] == version.version
        assert data.source["sha256"] == sha256_file(version.path / "train.jsonl")
    with pytest.raises(SeedforgeError, match="has no version"):
        load_training_data("missing-dataset")


def test_validation_split_sizes() -> None:
    assert validation_count(None, 52_000) == 2000  # alpaca-lora's default
    assert validation_count(None, 40) == 4 and validation_count(None, 9) == 0
    assert validation_count(0.25, 40) == 10 and validation_count(3, 40) == 3 and validation_count(0, 40) == 0
    with pytest.raises(SeedforgeError, match="leaves no training records"):
        validation_count(40, 40)
    records = [
        AlpacaRecord(instruction=f"T{i}", output="x", lineage=Lineage(generator="t")) for i in range(20)
    ]
    train, validation = split_validation(records, 5, seed=42)
    assert (
        len(train) == 15 and len(validation) == 5 and not {r.id for r in train} & {r.id for r in validation}
    )
    assert split_validation(records, 5, seed=42)[1] == validation != split_validation(records, 5, seed=1)[1]
