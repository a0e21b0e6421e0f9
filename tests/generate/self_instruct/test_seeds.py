import json
from pathlib import Path

import pytest

from pipeline.errors import SeedforgeError
from pipeline.generate.self_instruct.seeds import load_seed_tasks
from pipeline.settings import SEEDS_DIR

GOOD = {
    "id": "s1",
    "name": "n",
    "instruction": "Name a colour.",
    "instances": [{"input": "", "output": "Blue"}],
    "is_classification": False,
}


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


@pytest.mark.parametrize(
    "bad, message",
    [
        ('{"id": "s2", "name": "n"', "not valid JSON"),
        (json.dumps({**GOOD, "id": "s2", "instances": []}), "instances"),
        (json.dumps({k: v for k, v in GOOD.items() if k != "instruction"} | {"id": "s2"}), "instruction"),
        (json.dumps({**GOOD, "id": "s2", "is_classification": "maybe"}), "is_classification"),
        (json.dumps({**GOOD, "extra": 1, "id": "s2"}), "extra"),
        (json.dumps(GOOD), "duplicate seed id"),
        ("[1, 2]", "expected a JSON object"),
    ],
)
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
    path = write(
        tmp_path,
        [
            json.dumps("Name three rivers in Asia."),
            json.dumps({"instruction": "Translate 'cat' into French.", "output": "chat"}),
            json.dumps(
                {"instruction": "Is 7 prime?", "input": "", "output": "Yes", "is_classification": True}
            ),
        ],
    )
    tasks = load_seed_tasks(path)
    assert [t.id for t in tasks] == ["line_1", "line_2", "line_3"]
    assert tasks[0].instances[0].output == "" and tasks[1].instances[0].output == "chat"
    assert [t.is_classification for t in tasks] == [False, False, True]


@pytest.mark.parametrize(
    "bad, message",
    [
        (json.dumps({"instruction": ""}), "instruction"),
        (json.dumps({"instruction": "x", "answer": "y"}), "answer"),
        (json.dumps(GOOD), "self-instruct seed task in a file of plain instructions"),
        ("42", "expected a JSON string or an object"),
        ('"unterminated', "not valid JSON"),
    ],
)
def test_bad_plain_line_names_file_and_line(tmp_path: Path, bad: str, message: str) -> None:
    path = write(tmp_path, [json.dumps("Name a colour."), bad])
    with pytest.raises(SeedforgeError) as info:
        load_seed_tasks(path)
    assert f"{path}:2" in str(info.value) and message in str(info.value)


def test_alpaca_and_belle_style_seed_lines_are_read_exactly(tmp_path: Path) -> None:
    belle = {
        "id": "seed_task_0",
        "name": "畅销书",
        "instruction": "给出三本畅销书的名字。",
        "instances": [{"input": "", "output": "《活着》《围城》《平凡的世界》"}],
        "is_classification": False,
    }
    tasks = load_seed_tasks(write(tmp_path, [json.dumps(belle, ensure_ascii=False)]))
    assert tasks[0].model_dump(exclude={"category"}) == belle
    assert tasks[0].category is None  # the schema has none; a seed may add one


def test_a_seed_category_is_folded_to_its_canonical_name_and_kept_when_unknown(tmp_path: Path) -> None:
    lines = [
        json.dumps({**GOOD, "category": "Open QA"}),
        json.dumps({**GOOD, "id": "s2", "category": "Extraction"}),
        json.dumps({**GOOD, "id": "s3", "category": "Poetry Writing"}),
        json.dumps({**GOOD, "id": "s4"}),
    ]
    tasks = load_seed_tasks(write(tmp_path, lines))
    assert [t.category for t in tasks] == ["open_qa", "extract", "poetry_writing", None]
    plain = load_seed_tasks(
        write(tmp_path, [json.dumps({"instruction": "Add 2 and 3.", "category": "Maths"})])
    )
    assert plain[0].category == "math"


@pytest.mark.parametrize("category", ["", "  "])
def test_an_empty_seed_category_names_its_line(tmp_path: Path, category: str) -> None:
    path = write(tmp_path, [json.dumps(GOOD), json.dumps({**GOOD, "id": "s2", "category": category})])
    with pytest.raises(SeedforgeError, match="category: empty") as caught:
        load_seed_tasks(path)
    assert caught.value.line == 2


@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_shipped_seed_names_a_belle_category_with_enough_seeds_to_steer(language: str) -> None:
    from collections import Counter

    from pipeline.generate.categories import BELLE_CATEGORIES

    tasks = load_seed_tasks(SEEDS_DIR / f"seed_tasks_{language}.jsonl")
    counts = Counter(t.category for t in tasks)
    assert set(counts) == set(BELLE_CATEGORIES)  # every task has one, every category has seeds
    assert min(counts.values()) >= 6  # a steered prompt shows the default six seeds of one category


CATEGORY_CUES = {
    "brainstorming": "|".join(
        [r"Suggest|ideas|names for|Come up with|Brainstorm|Propose", r"推荐|想.{0,3}个|建议|点子|创意"]
    ),
    "open_qa": r"^(Why|How|What|Which|Who|When)\b|为什么|怎么|什么是|如何",
    "closed_qa": r"According to|Based on|passage|根据|材料",
    "rewrite": r"Rewrite|Rephrase|Paraphrase|Make .* (formal|polite)|改写|润色|改成",
    "extraction": r"Extract|List all|Find all|提取|找出",
    "generation": r"Write|Compose|Draft|写一|创作|编写",
    "chat": r"Reply|Respond|conversation|dialogue|回复|对话|回应",
    "summarisation": r"Summari[sz]e|summary|总结|概括|摘要",
    "translation": r"Translate|into (French|English|Spanish|German|Chinese)|翻译|译成",
    "math": r"Solve|Calculate|equation|average|percent|计算|方程|平均|多少",
    "code": r"Python|JavaScript|SQL|function|regular expression|code|snippet|代码|函数|正则",
}


@pytest.mark.parametrize("language", ["en", "zh"])
def test_shipped_seeds_cover_every_category(language: str) -> None:
    import re

    tasks = load_seed_tasks(SEEDS_DIR / f"seed_tasks_{language}.jsonl")
    for category, cue in CATEGORY_CUES.items():
        hits = [t for t in tasks if re.search(cue, t.instruction, re.IGNORECASE)]
        assert len(hits) >= 3, (language, category, len(hits))
    assert sum(t.is_classification for t in tasks) >= 0.15 * len(tasks)
    assert sum(any(i.input for i in t.instances) for t in tasks) >= len(tasks) // 2  # tasks with inputs


def test_a_shipped_seeds_path_from_a_flow_form_is_found_from_any_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deployment run given `generate.seeds: seeds/seed_tasks_en.jsonl` failed with "seed file
    not found" wherever the working folder had no seeds/ (the compose image's /app): only a
    config file's paths were resolved."""
    monkeypatch.chdir(tmp_path)
    assert len(load_seed_tasks("seeds/seed_tasks_en.jsonl")) > 100
    with pytest.raises(SeedforgeError, match="seed file not found"):
        load_seed_tasks("seeds/no_such_file.jsonl")
