import json
from pathlib import Path

import pytest

from pipeline.errors import SeedforgeError
from pipeline.evaluate.evalsets import items_from_records, load_eval_set
from pipeline.records import AlpacaRecord, DialogueRecord, Lineage, Message

SELF_INSTRUCT = {
    "id": "user_oriented_task_0",
    "motivation_app": "Grammarly",
    "instruction": "Fix the grammar.",
    "instances": [{"input": "he go home", "output": "He goes home."}],
}
BELLE = [
    {
        "question": "将以下文本翻译为英语：我喜欢春天。",
        "std_answer": "I like spring.",
        "class": "translation",
    },
    {"question": "列出5种可以改善睡眠质量的方法。", "std_answer": "", "class": "brainstorming"},
    {"question": "中国有多少个省？", "std_answer": "34个省级行政区。", "class": "open qa"},
    {"question": "写一首诗。", "std_answer": "", "class": "Poetry"},
]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_every_format_as_list_or_jsonl_whatever_the_extension(tmp_path: Path) -> None:
    as_list = write(tmp_path / "belle.jsonl", json.dumps(BELLE, ensure_ascii=False, indent=2))
    as_lines = write(tmp_path / "belle.json", "\n".join(json.dumps(r, ensure_ascii=False) for r in BELLE))
    for path in (as_list, as_lines):
        items = load_eval_set(path)
        assert [i.category for i in items] == ["translation", "brainstorming", "open_qa", "poetry"]
        assert items[0].reference == "I like spring." and items[1].reference is None
        assert {i.source for i in items} == {"belle"}
    two = dict(SELF_INSTRUCT, instances=SELF_INSTRUCT["instances"] * 2)
    items = load_eval_set(write(tmp_path / "user.json", json.dumps(SELF_INSTRUCT) + "\n" + json.dumps(two)))
    assert [i.id for i in items] == [
        "user_oriented_task_0",
        "user_oriented_task_0#0",
        "user_oriented_task_0#1",
    ]
    assert items[0].input == "he go home" and items[0].meta == {"motivation_app": "Grammarly"}
    single = load_eval_set(
        write(
            tmp_path / "one.json",
            json.dumps(
                {"instruction": "Say hi", "context": "", "response": "Hi", "category": "open_qa"}, indent=2
            ),
        )
    )
    assert single[0].reference == "Hi" and single[0].category == "open_qa"


def test_our_heldout_records_keep_their_ids() -> None:
    record = AlpacaRecord(instruction="Name a colour.", output="Blue.", lineage=Lineage(generator="t"))
    items = items_from_records([record, record])
    assert items[0].id == record.id and items[1].id == f"{record.id}~2"
    assert items[0].source == "seedforge" and items[0].reference == "Blue."


@pytest.mark.parametrize(
    "text, line, message",
    [
        ('{"question": "a", "class": "x"}\n{"question": 3}\n', 2, "must be a string"),
        ('{"question": "a"}\n\n{"question": "b"\n', 3, "not valid JSON"),
        ('[\n  {"question": "a"},\n  {"prompt": "b"}\n]', 3, "not an eval record"),
        ('[\n  {"question": "a"},\n  {"question": "b",}\n]', 3, "not valid JSON"),
        ('{"instruction": "x", "instances": []}\n', 1, "instances"),
        ('{"question": "   "}\n', 1, "is empty"),
        ('"just a string"\n', 1, "expected a JSON object"),
    ],
)
def test_malformed_files_name_file_and_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = write(tmp_path / "bad.json", text)
    with pytest.raises(SeedforgeError, match=message) as caught:
        load_eval_set(path)
    assert str(caught.value).startswith(f"{path}:{line}: ")


def test_empty_and_missing_files(tmp_path: Path) -> None:
    for text in ("", "[]", "\n\n"):
        with pytest.raises(SeedforgeError, match="eval set is empty"):
            load_eval_set(write(tmp_path / "empty.json", text))
    with pytest.raises(SeedforgeError, match="not found"):
        load_eval_set(tmp_path / "nope.json")


def test_our_records_are_judged_in_their_lineage_category() -> None:
    def record(instruction: str, category: str | None) -> AlpacaRecord:
        return AlpacaRecord(
            instruction=instruction, output="x", lineage=Lineage(generator="t", category=category)
        )

    items = items_from_records([record("Add 2 and 3.", "Maths"), record("Name a colour.", None)])
    assert [item.category for item in items] == ["math", "general"]
    dialogue = DialogueRecord(
        messages=[
            Message(role="user", content="I have a cough."),
            Message(role="assistant", content="Since when?"),
        ],
        lineage=Lineage(generator="kb_dialogue", category="open_qa", category_source="default"),
    )
    assert items_from_records([dialogue])[0].category == "open_qa"
