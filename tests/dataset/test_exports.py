"""A version's exports, train and test splits, read back by the libraries and rules of the
tools they are for: `datasets` (JSON, JSONL, Parquet), LLaMA-Factory's dataset_info schema and
OpenAI's chat fine-tuning rules; Alpaca records and dialogues, English and Chinese."""

import json
import os
import stat
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.dataset.chat import chat_problem
from pipeline.dataset.exports import ALL_FORMATS, export_records
from pipeline.dataset.versions import write_version
from pipeline.errors import SeedforgeError
from pipeline.records import AlpacaRecord, DialogueRecord, Lineage, Message
from tests.dataset.consumer_rules import llama_factory_problems, openai_line_problems

ALPACA = [
    AlpacaRecord(
        instruction="Translate to French.",
        input="Good morning",
        output="Bonjour",
        lineage=Lineage(generator="t", category="translation"),
    ),
    AlpacaRecord(instruction="Name a planet.", output="Mars", lineage=Lineage(generator="t")),
]
ALPACA_TEST = [
    AlpacaRecord(
        instruction="把这句话翻译成英文。",
        input="早上好",
        output="Good morning",
        lineage=Lineage(generator="t", language="zh", category="translation"),
    )
]
DIALOGUE = [
    DialogueRecord(
        messages=[
            {"role": "system", "content": "You are a doctor."},
            {"role": "user", "content": "I have a fever."},
            {"role": "assistant", "content": "How long have you had it?"},
            {"role": "user", "content": "Two days."},
            {"role": "assistant", "content": "Rest and drink fluids."},
        ],
        lineage=Lineage(generator="kb_dialogue"),
    )
]
DIALOGUE_TEST = [
    DialogueRecord(
        messages=[
            {"role": "system", "content": "你是一名医生。"},
            {"role": "user", "content": "我头疼。"},
            {"role": "assistant", "content": "请多休息，多喝水。"},
        ],
        lineage=Lineage(generator="kb_dialogue", language="zh"),
    )
]


def load(builder: str, files: dict[str, Path], cache: Path):  # type: ignore[no-untyped-def]
    from datasets import load_dataset

    return load_dataset(builder, data_files={k: str(v) for k, v in files.items()}, cache_dir=str(cache))


def test_alpaca_records_in_every_format_and_both_splits(tmp_path: Path) -> None:
    written = export_records({"train": ALPACA, "test": ALPACA_TEST}, tmp_path, ALL_FORMATS, "mydata")
    assert set(written) == set(ALL_FORMATS)
    assert written["alpaca_json"] == {"train": "alpaca.json", "test": "alpaca.test.json"}
    alpaca = json.loads((tmp_path / "alpaca.json").read_text())
    assert alpaca[0] == {"instruction": "Translate to French.", "input": "Good morning", "output": "Bonjour"}
    assert "把这句话翻译成英文。" in (tmp_path / "alpaca.test.json").read_text(
        encoding="utf-8"
    )  # not \\u escapes
    sharegpt = json.loads((tmp_path / "sharegpt.json").read_text())
    assert sharegpt[0]["conversations"] == [
        {"from": "human", "value": "Translate to French.\n\nGood morning"},
        {"from": "gpt", "value": "Bonjour"},
    ]
    chat = [json.loads(line) for line in (tmp_path / "openai_chat.jsonl").read_text().splitlines()]
    assert chat[1] == {
        "messages": [{"role": "user", "content": "Name a planet."}, {"role": "assistant", "content": "Mars"}]
    }
    table = pq.read_table(tmp_path / "records.test.parquet")
    assert table.column_names == ["id", "instruction", "input", "output", "category", "lineage"]
    row = table.to_pylist()[0]
    assert row["output"] == "Good morning" and row["category"] == "translation"
    assert json.loads(row["lineage"])["language"] == "zh"
    info = json.loads((tmp_path / "dataset_info.json").read_text())
    assert sorted(info) == sorted(
        [
            "mydata",
            "mydata_test",
            "mydata_sharegpt",
            "mydata_sharegpt_test",
            "mydata_openai",
            "mydata_openai_test",
        ]
    )
    assert llama_factory_problems(tmp_path) == []
    assert not list(tmp_path.glob(".*"))  # no temporary files left


def test_dialogues_keep_their_turns_in_every_format(tmp_path: Path) -> None:
    written = export_records({"train": DIALOGUE, "test": DIALOGUE_TEST}, tmp_path, ALL_FORMATS, "kb")
    assert set(written) == set(ALL_FORMATS)
    sharegpt = json.loads((tmp_path / "sharegpt.json").read_text())
    assert [turn["from"] for turn in sharegpt[0]["conversations"]] == [
        "system",
        "human",
        "gpt",
        "human",
        "gpt",
    ]
    # Alpaca rows carry the system prompt and the earlier turns, as LLaMA-Factory reads them
    assert json.loads((tmp_path / "alpaca.json").read_text()) == [
        {
            "instruction": "Two days.",
            "input": "",
            "output": "Rest and drink fluids.",
            "system": "You are a doctor.",
            "history": [["I have a fever.", "How long have you had it?"]],
        }
    ]
    message = pa.struct([("role", pa.string()), ("content", pa.string())])
    table = pq.read_table(tmp_path / "records.parquet")
    assert table.schema.field("messages").type == pa.list_(message)  # nested, not a JSON string
    assert table.to_pylist()[0]["messages"][4] == {"role": "assistant", "content": "Rest and drink fluids."}
    assert (
        pq.read_table(tmp_path / "records.test.parquet").to_pylist()[0]["messages"][1]["content"]
        == "我头疼。"
    )
    info = json.loads((tmp_path / "dataset_info.json").read_text())
    assert info["kb"]["columns"]["history"] == "history" and info["kb"]["columns"]["system"] == "system"
    assert llama_factory_problems(tmp_path) == []


@pytest.mark.parametrize(
    "splits", [(ALPACA, ALPACA_TEST), (DIALOGUE, DIALOGUE_TEST)], ids=["alpaca", "dialogue"]
)
def test_datasets_reads_every_file_back(splits: tuple[list, list], tmp_path: Path) -> None:
    from datasets import List, Value

    train, test = splits
    out = tmp_path / "out"
    export_records({"train": train, "test": test}, out, ALL_FORMATS, "d")
    cache = tmp_path / "cache"
    for builder, train_file, test_file in (
        ("json", "alpaca.json", "alpaca.test.json"),
        ("json", "sharegpt.json", "sharegpt.test.json"),
        ("json", "openai_chat.jsonl", "openai_chat.test.jsonl"),
        ("json", "records.jsonl", "records.test.jsonl"),
        ("parquet", "records.parquet", "records.test.parquet"),
    ):
        loaded = load(builder, {"train": out / train_file, "test": out / test_file}, cache)
        assert (loaded["train"].num_rows, loaded["test"].num_rows) == (len(train), len(test)), train_file
    parquet = load("parquet", {"train": out / "records.parquet", "test": out / "records.test.parquet"}, cache)
    openai = load("json", {"train": out / "openai_chat.jsonl", "test": out / "openai_chat.test.jsonl"}, cache)
    expected_messages = [m.model_dump() for m in test[0].messages] if test is DIALOGUE_TEST else None
    if expected_messages:
        message = {"role": Value("string"), "content": Value("string")}
        assert parquet["test"].features["messages"] == List(message)
        assert parquet["test"][0]["messages"] == expected_messages  # Chinese round-trips
        assert openai["test"][0]["messages"] == expected_messages
    else:
        assert parquet["test"][0]["instruction"] == "把这句话翻译成英文。"
        assert parquet["test"].features["category"] == Value("string")
        assert openai["test"][0]["messages"][0]["content"] == "把这句话翻译成英文。\n\n早上好"


def test_every_openai_line_obeys_the_fine_tuning_rules(tmp_path: Path) -> None:
    export_records(
        {"train": ALPACA + DIALOGUE, "test": ALPACA_TEST + DIALOGUE_TEST}, tmp_path, ALL_FORMATS, "m"
    )
    lines = [
        line
        for name in ("openai_chat.jsonl", "openai_chat.test.jsonl")
        for line in (tmp_path / name).read_text(encoding="utf-8").splitlines()
    ]
    assert len(lines) == len(ALPACA + DIALOGUE + ALPACA_TEST + DIALOGUE_TEST)
    assert [openai_line_problems(line) for line in lines] == [[]] * len(lines)
    # the rules themselves catch what OpenAI refuses
    bad = {"messages": [{"role": "user", "content": "hi"}, {"role": "user", "content": " "}]}
    assert len(openai_line_problems(json.dumps(bad))) == 1
    bad = {
        "messages": [
            {"role": "user", "content": "a"},
            {"role": "assistant", "content": "b"},
            {"role": "user", "content": "c"},
        ]
    }
    assert openai_line_problems(json.dumps(bad)) == ["does not end with the assistant"]
    assert llama_factory_problems(tmp_path) == []  # a mixed set: one schema, every file


def test_llama_factory_rules_catch_a_broken_entry(tmp_path: Path) -> None:
    export_records({"train": DIALOGUE, "test": DIALOGUE_TEST}, tmp_path, ["alpaca_json", "sharegpt"], "kb")
    info = json.loads((tmp_path / "dataset_info.json").read_text())
    info["kb"]["columns"].pop("history")  # then LLaMA-Factory drops the earlier turns: fine
    info["kb_test"]["file_name"] = "missing.json"
    info["kb_sharegpt"]["tags"].pop("user_tag")
    info["kb_sharegpt_test"]["formatting"] = "openai"
    (tmp_path / "dataset_info.json").write_text(json.dumps(info))
    problems = llama_factory_problems(tmp_path)
    assert [p.split(":")[0] for p in problems] == ["kb_test", "kb_sharegpt", "kb_sharegpt_test"]


@pytest.mark.parametrize(
    ("messages", "problem"),
    [
        ([("user", "a"), ("assistant", "")], "message 1 (assistant) is empty"),
        ([("user", "a"), ("user", "b")], "message 1 is user, expected assistant"),
        ([("assistant", "a"), ("user", "b")], "message 0 is assistant, expected user"),
        ([("system", "s"), ("user", "a")], "the last message is the user's"),
        ([("user", "a"), ("system", "s"), ("assistant", "b")], "message 1 is a system message"),
        ([("system", "s"), ("system", "t")], "message 1 is a system message"),
    ],
)
def test_chat_rules(messages: list[tuple[str, str]], problem: str) -> None:
    found = chat_problem([{"role": role, "content": content} for role, content in messages])
    assert found is not None and found.startswith(problem)
    assert (
        chat_problem(
            [
                {"role": "system", "content": "s"},
                {"role": "user", "content": "a"},
                {"role": "assistant", "content": "b"},
            ]
        )
        is None
    )


def test_a_record_no_chat_tool_accepts_stops_the_export(tmp_path: Path) -> None:
    broken = DialogueRecord(
        messages=[Message(role="user", content="hello"), Message(role="user", content="anyone?")],
        lineage=Lineage(generator="t"),
    )
    with pytest.raises(SeedforgeError, match=rf"test split, record 2: record {broken.id} cannot be exported"):
        export_records({"train": DIALOGUE, "test": [*DIALOGUE_TEST, broken]}, tmp_path, ["openai_chat"], "x")
    assert list(tmp_path.iterdir()) == []
    # seedforge's own JSONL holds any record
    assert export_records({"train": [broken], "test": []}, tmp_path, ["jsonl"], "x") == {
        "jsonl": {"train": "records.jsonl"}
    }


def test_an_empty_split_writes_no_file(tmp_path: Path) -> None:
    written = export_records({"train": ALPACA, "test": []}, tmp_path, ALL_FORMATS, "d")
    assert all(set(files) == {"train"} for files in written.values())
    assert not list(tmp_path.glob("*.test.*"))
    assert "d_test" not in json.loads((tmp_path / "dataset_info.json").read_text())


def test_exports_have_the_modes_of_the_rest_of_a_version(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        version = write_version(
            "modes", ALPACA, ALPACA_TEST, [], config={}, stats={}, exports=ALL_FORMATS, root=tmp_path
        )
    finally:
        os.umask(previous)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in version.path.iterdir()}
    assert "records.test.parquet" in modes and "openai_chat.test.jsonl" in modes
    assert set(modes.values()) == {0o644}, modes
    assert version.manifest["exports_test"]["alpaca_json"] == "alpaca.test.json"
    assert version.manifest["files"]["alpaca.test.json"]["records"] == len(ALPACA_TEST)
