import json
from pathlib import Path

import pytest

from pipeline.config import SEEDS_DIR
from pipeline.errors import SeedforgeError
from pipeline.generate.seeds import load_seed_tasks

GOOD = {"id": "s1", "name": "n", "instruction": "Name a colour.",
        "instances": [{"input": "", "output": "Blue"}], "is_classification": False}


def write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "seeds.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_shipped_seeds_follow_the_schema() -> None:
    english = load_seed_tasks(SEEDS_DIR / "seed_tasks_en.jsonl")
    chinese = load_seed_tasks(SEEDS_DIR / "seed_tasks_zh.jsonl")
    assert len(english) >= 120 and len(chinese) >= 80
    for tasks in (english, chinese):
        share = sum(t.is_classification for t in tasks) / len(tasks)
        assert share >= 0.15
        assert all(t.instances for t in tasks)


@pytest.mark.parametrize("bad, message", [
    ('{"id": "s2", "name": "n"', "not valid JSON"),
    (json.dumps({**GOOD, "id": "s2", "instances": []}), "instances"),
    (json.dumps({k: v for k, v in GOOD.items() if k != "instruction"} | {"id": "s2"}), "instruction"),
    (json.dumps({**GOOD, "id": "s2", "is_classification": "maybe"}), "is_classification"),
    (json.dumps({**GOOD, "extra": 1, "id": "s2"}), "extra"),
    (json.dumps(GOOD), "duplicate seed id"),
    ("[1, 2]", "expected a JSON object"),
])
def test_bad_seed_line_names_file_and_line(tmp_path: Path, bad: str, message: str) -> None:
    path = write(tmp_path, [json.dumps(GOOD), bad])
    with pytest.raises(SeedforgeError) as info:
        load_seed_tasks(path)
    assert f"{path}:2" in str(info.value)
    assert message in str(info.value)


def test_missing_and_empty_seed_files(tmp_path: Path) -> None:
    with pytest.raises(SeedforgeError, match="not found"):
        load_seed_tasks(tmp_path / "none.jsonl")
    with pytest.raises(SeedforgeError, match="no tasks"):
        load_seed_tasks(write(tmp_path, [""]))


def test_plain_jsonl_of_instructions(tmp_path: Path) -> None:
    path = write(tmp_path, [json.dumps("Name three rivers in Asia."),
                            json.dumps({"instruction": "Translate 'cat' into French.", "output": "chat"}),
                            json.dumps({"instruction": "Is 7 prime?", "input": "", "output": "Yes",
                                        "is_classification": True})])
    tasks = load_seed_tasks(path)
    assert [t.id for t in tasks] == ["line_1", "line_2", "line_3"]
    assert tasks[0].instances[0].output == "" and tasks[1].instances[0].output == "chat"
    assert [t.is_classification for t in tasks] == [False, False, True]


@pytest.mark.parametrize("bad, message", [
    (json.dumps({"instruction": ""}), "instruction"),
    (json.dumps({"instruction": "x", "answer": "y"}), "answer"),
    (json.dumps(GOOD), "self-instruct seed task in a file of plain instructions"),
    ("42", "expected a JSON string or an object"),
    ('"unterminated', "not valid JSON"),
])
def test_bad_plain_line_names_file_and_line(tmp_path: Path, bad: str, message: str) -> None:
    path = write(tmp_path, [json.dumps("Name a colour."), bad])
    with pytest.raises(SeedforgeError) as info:
        load_seed_tasks(path)
    assert f"{path}:2" in str(info.value) and message in str(info.value)


def test_alpaca_and_belle_style_seed_lines_are_read_exactly(tmp_path: Path) -> None:
    belle = {"id": "seed_task_0", "name": "畅销书", "instruction": "给出三本畅销书的名字。",
             "instances": [{"input": "", "output": "《活着》《围城》《平凡的世界》"}],
             "is_classification": False}
    tasks = load_seed_tasks(write(tmp_path, [json.dumps(belle, ensure_ascii=False)]))
    assert tasks[0].model_dump() == belle
