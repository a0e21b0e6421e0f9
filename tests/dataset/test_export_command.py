"""`seedforge export`: every format of a written version, read back by `datasets` and checked
against LLaMA-Factory's and OpenAI's rules; the hf folder with its card; bad input exits 2
with nothing written."""

import json
import os
import stat
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.dataset.config import ExportFormat
from pipeline.dataset.versions import DatasetVersion, write_version
from pipeline.records import AlpacaRecord, DialogueRecord, Lineage, Message
from tests.dataset.consumer_rules import llama_factory_problems, openai_line_problems

runner = CliRunner()


def alpaca(i: int, zh: bool = False, category: str | None = None) -> AlpacaRecord:
    return AlpacaRecord(
        instruction=f"解释第{i}个概念。" if zh else f"Explain concept {i}.",
        output=f"第{i}个概念是……" if zh else f"Concept {i} is …",
        lineage=Lineage(
            generator="self_instruct",
            model="smollm2",
            template="instances",
            template_version="v2",
            language="zh" if zh else "en",
            category=category,
        ),
    )


def dialogue(i: int) -> DialogueRecord:
    return DialogueRecord(
        messages=[
            Message(role="system", content="你是一名医生。"),
            Message(role="user", content=f"我发烧{i}天了。"),
            Message(role="assistant", content="还有别的症状吗？"),
            Message(role="user", content="咳嗽。"),
            Message(role="assistant", content=f"建议休息{i}天。"),
        ],
        lineage=Lineage(generator="kb_dialogue", model="smollm2", language="zh"),
    )


@pytest.fixture
def alpaca_version(data_dir: Path) -> DatasetVersion:
    records = [alpaca(i, zh=i % 2 == 1, category="open_qa" if i % 3 else "brainstorming") for i in range(8)]
    config = {
        "name": "inst",
        "license": "cc-by-4.0",
        "generate": {"target": 8, "seeds": "/home/someone/private/seed_tasks.jsonl"},
    }
    return write_version("inst", records[:6], records[6:], [], config=config, stats={})


@pytest.fixture
def dialogue_version(data_dir: Path) -> DatasetVersion:
    records = [dialogue(i) for i in range(5)]
    return write_version("chat", records[:4], records[4:], [], config={"kb": "med"}, stats={})


def export(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["export", *args])
    return result.exit_code, result.output


def rows(path: Path) -> list[dict]:
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("fixture", ["alpaca_version", "dialogue_version"])
def test_every_format_loads_in_its_consumer(
    fixture: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    from datasets import List, Value, load_dataset

    version: DatasetVersion = request.getfixturevalue(fixture)
    counts = {"train": version.manifest["counts"]["train"], "test": version.manifest["counts"]["heldout"]}
    cache = str(tmp_path / "cache")
    previous = os.umask(0o022)
    try:
        for fmt in ExportFormat:
            code, output = export(version.dataset, "--format", fmt.value, "--out", str(tmp_path / fmt.value))
            assert code == 0, output
    finally:
        os.umask(previous)
    for fmt in ExportFormat:
        files = [p for p in (tmp_path / fmt.value).rglob("*") if p.is_file()]
        assert {stat.S_IMODE(p.stat().st_mode) for p in files} == {0o644}, fmt
    for name, builder in (
        ("alpaca", "json"),
        ("sharegpt", "json"),
        ("openai", "json"),
        ("parquet", "parquet"),
    ):
        suffix = {"openai": "jsonl"}.get(name, builder)
        files = {split: str(tmp_path / name / f"{split}.{suffix}") for split in counts}
        loaded = load_dataset(builder, data_files=files, cache_dir=cache)
        assert {split: loaded[split].num_rows for split in counts} == counts, name
    for line in (tmp_path / "openai" / "train.jsonl").read_text(encoding="utf-8").splitlines():
        assert openai_line_problems(line) == []
    assert llama_factory_problems(tmp_path / "llama-factory") == []
    info = json.loads((tmp_path / "llama-factory" / "dataset_info.json").read_text())
    name = version.dataset
    assert sorted(info) == sorted([name, f"{name}_test", f"{name}_sharegpt", f"{name}_sharegpt_test"])

    hf = load_dataset(str(tmp_path / "hf"), cache_dir=cache)  # the folder alone: card + data files
    assert {split: hf[split].num_rows for split in counts} == counts
    from datasets import load_dataset_builder

    carded = load_dataset_builder(str(tmp_path / "hf"), cache_dir=cache).info.splits  # read, not ignored
    assert carded is not None and {split: carded[split].num_examples for split in counts} == counts
    assert all(carded[split].num_bytes > 0 for split in counts), carded
    train = [r.model_dump() for r in _records(version, "train.jsonl")]
    if fixture == "dialogue_version":
        assert hf["train"].features["messages"] == List({"role": Value("string"), "content": Value("string")})
        assert hf["train"][0]["messages"] == train[0]["messages"]  # Chinese, nested, in order
        assert rows(tmp_path / "alpaca" / "train.json")[0]["history"] == [
            ["我发烧0天了。", "还有别的症状吗？"]
        ]
    else:
        assert [row["instruction"] for row in hf["train"]] == [r["instruction"] for r in train]
        assert hf["test"][0]["id"] == _records(version, "heldout.jsonl")[0].id


def _records(version: DatasetVersion, name: str) -> list:
    from pipeline.dataset.versions import read_records

    return read_records(version.path / name)


def test_hf_card_states_counts_lineage_licence_and_config(
    alpaca_version: DatasetVersion, tmp_path: Path
) -> None:
    out = tmp_path / "hf"
    assert export("inst", "--format", "hf", "--out", str(out))[0] == 0
    text = (out / "README.md").read_text(encoding="utf-8")
    _, header, body = text.split("---\n", 2)
    card = yaml.safe_load(header)
    assert card["license"] == "cc-by-4.0" and card["language"] == ["en", "zh"]
    assert [
        {k: v for k, v in split.items() if k != "num_bytes"} for split in card["dataset_info"]["splits"]
    ] == [
        {"name": "train", "num_examples": 6},
        {"name": "test", "num_examples": 2},
    ]
    assert all(
        split["num_bytes"] > 0 for split in card["dataset_info"]["splits"]
    )  # else datasets ignores them
    assert "| train | 6 |" in body and "| test | 2 |" in body
    assert "## Categories" in body and "| open_qa |" in body
    assert (
        "| self_instruct | 6 | 2 |" in body
        and "| smollm2 | 6 | 2 |" in body
        and "| instances@v2 | 6 | 2 |" in body
    )
    assert "target: 8" in body  # the generation config from the manifest
    assert "seeds: seed_tasks.jsonl" in body and "/home/someone" not in body  # no local paths
    assert export("inst", "--format", "hf", "--out", str(out), "--overwrite", "--license", "mit")[0] == 0
    assert yaml.safe_load((out / "README.md").read_text().split("---\n")[1])["license"] == "mit"
    before = (out / "README.md").read_text()  # a licence the Hub would refuse: nothing written
    code, output = export(
        "inst", "--format", "hf", "--out", str(out), "--overwrite", "--license", "my licence"
    )
    assert code == 2 and "not a licence id" in output and (out / "README.md").read_text() == before


def test_a_version_without_a_licence_or_categories(dialogue_version: DatasetVersion, tmp_path: Path) -> None:
    assert export("chat", "--format", "hf", "--out", str(tmp_path / "hf"))[0] == 0
    text = (tmp_path / "hf" / "README.md").read_text(encoding="utf-8")
    assert "license: unknown" in text and "## Categories" not in text


def test_an_older_version_by_number(data_dir: Path, tmp_path: Path) -> None:
    write_version("grow", [alpaca(0), alpaca(1)], [alpaca(2)], [], config={}, stats={})
    write_version("grow", [alpaca(0), alpaca(1), alpaca(3)], [alpaca(2)], [], config={}, stats={})
    code, output = export("grow@v1", "--format", "alpaca", "--out", str(tmp_path / "v1"))
    assert code == 0 and "grow v1: train 2, test 1" in output
    assert len(rows(tmp_path / "v1" / "train.json")) == 2
    assert export("grow", "--format", "openai", "--out", str(tmp_path / "latest"))[0] == 0
    assert len(rows(tmp_path / "latest" / "train.jsonl")) == 3


def test_bad_input_exits_2_with_nothing_written(alpaca_version: DatasetVersion, tmp_path: Path) -> None:
    out = tmp_path / "out"
    for spec, message in (
        ("nosuch", "dataset 'nosuch' has no version"),
        ("inst@v7", "dataset 'inst' has no version 7"),
        ("inst@latest", "expected NAME@vN"),
        (str(tmp_path), "not a dataset version (no manifest.json)"),
    ):
        code, output = export(spec, "--format", "alpaca", "--out", str(out))
        assert code == 2 and message in output, output
    code, output = export("inst", "--format", "csv", "--out", str(out))
    assert code == 2 and "llama-factory" in output  # the choices are listed
    assert not out.exists()

    out.mkdir()
    (out / "keep.txt").write_text("mine")
    code, output = export("inst", "--format", "alpaca", "--out", str(out))
    assert code == 2 and "not empty (pass --overwrite" in output
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    # --overwrite replaces an earlier export, not a folder of the user's own files
    code, output = export("inst", "--format", "alpaca", "--out", str(out), "--overwrite")
    assert code == 2 and "holds files no export writes (keep.txt)" in " ".join(output.split())
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    (out / "keep.txt").unlink()
    assert export("inst", "--format", "hf", "--out", str(out))[0] == 0
    assert export("inst", "--format", "alpaca", "--out", str(out), "--overwrite")[0] == 0  # over the hf one
    assert sorted(p.name for p in out.iterdir()) == ["test.json", "train.json"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left


def test_a_record_the_format_cannot_hold_names_its_line(data_dir: Path, tmp_path: Path) -> None:
    cut = DialogueRecord(
        messages=[Message(role="user", content="hello?"), Message(role="assistant", content="  ")],
        lineage=Lineage(generator="file"),
    )
    version = write_version(
        "raw", [dialogue(0)], [dialogue(1), cut], [], config={}, stats={}, exports=["jsonl"]
    )
    code, output = export("raw", "--format", "openai", "--out", str(tmp_path / "out"))
    assert code == 2 and f"{version.path / 'heldout.jsonl'}:2: record {cut.id}" in output
    assert "message 1 (assistant) is empty" in output and not (tmp_path / "out").exists()


def test_overwrite_never_replaces_the_version_the_data_dir_or_the_current_folder(
    alpaca_version: DatasetVersion, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = sorted(p.name for p in alpaca_version.path.iterdir())
    for out in (alpaca_version.path, alpaca_version.path.parent, data_dir, tmp_path):
        monkeypatch.chdir(tmp_path)
        code, output = export(alpaca_version.dataset, "--format", "alpaca", "--out", str(out), "--overwrite")
        said = " ".join(output.split())
        assert code == 2 and any(
            why in said for why in ("which it is or holds", "datasets folder", "holds files no export writes")
        )
    monkeypatch.chdir(alpaca_version.path)
    code, output = export(alpaca_version.dataset, "--format", "alpaca", "--out", ".", "--overwrite")
    assert code == 2 and "inside seedforge's datasets folder" in " ".join(output.split())
    assert sorted(p.name for p in alpaca_version.path.iterdir()) == before
    code, output = export(alpaca_version.dataset, "--format", "alpaca", "--out", str(tmp_path / "fine"))
    assert code == 0, output


def test_an_output_that_is_a_link_is_replaced_where_it_points_and_stays_a_link(
    alpaca_version: DatasetVersion, data_dir: Path, tmp_path: Path
) -> None:
    real = tmp_path / "exports" / "current"
    real.mkdir(parents=True)
    (real / "train.json").write_text("[]")  # the last export
    link = tmp_path / "latest"
    link.symlink_to(Path("exports") / "current")  # relative, as `ln -s` users write them
    code, output = export(alpaca_version.dataset, "--format", "alpaca", "--out", str(link), "--overwrite")
    assert code == 0, output
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert sorted(p.name for p in real.iterdir()) == ["test.json", "train.json"]
    assert not [p for p in tmp_path.rglob(".*") if p.name.startswith((".staging-", ".old-"))]
    link.unlink()
    link.symlink_to(alpaca_version.path)  # a link to the version itself is refused like the version
    code, output = export(alpaca_version.dataset, "--format", "alpaca", "--out", str(link), "--overwrite")
    assert (
        code == 2 and "inside seedforge's datasets folder" in " ".join(output.split()) and link.is_symlink()
    )


def test_a_folder_that_cannot_be_written_is_one_line_not_a_traceback(
    alpaca_version: DatasetVersion, tmp_path: Path
) -> None:
    import subprocess

    locked = tmp_path / "locked"
    locked.mkdir()
    if subprocess.run(["chattr", "+i", str(locked)], capture_output=True, check=False).returncode:
        pytest.skip("chattr +i is not supported on this file system")
    try:
        for out in (locked / "out", locked):  # a new folder in it, and replacing it
            code, output = export("inst", "--format", "alpaca", "--out", str(out), "--overwrite")
            assert code == 2, output
            assert (
                "cannot write in" in output or "cannot replace" in output
            ) and "Traceback" not in output, output
        assert not list(locked.iterdir())
    finally:
        subprocess.run(["chattr", "-i", str(locked)], check=False)


def test_an_output_under_a_file_or_inside_the_datasets_folder_is_refused(
    alpaca_version: DatasetVersion, data_dir: Path, tmp_path: Path
) -> None:
    (tmp_path / "afile").write_text("x")
    code, output = export("inst", "--format", "alpaca", "--out", str(tmp_path / "afile" / "sub"))
    assert code == 2 and "is a file, so nothing can be made under it" in output and "Traceback" not in output
    datasets = alpaca_version.path.parent.parent
    for out in (alpaca_version.path.parent / "v0009", alpaca_version.path / "sub", datasets / "elsewhere"):
        code, output = export("inst", "--format", "alpaca", "--out", str(out))
        assert code == 2 and "inside seedforge's datasets folder" in " ".join(output.split()), output
        assert not out.exists()


def test_a_numbered_folder_without_a_manifest_does_not_hide_the_versions(
    alpaca_version: DatasetVersion, data_dir: Path, tmp_path: Path
) -> None:
    (alpaca_version.path.parent / "v0009").mkdir()  # made by hand, not by seedforge
    code, output = export("inst", "--format", "alpaca", "--out", str(tmp_path / "out"))
    assert code == 0, output
    assert f"v{alpaca_version.version}" in output
