import json
from pathlib import Path

import pytest
from transformers import AutoModelForCausalLM
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.commands.train import parse_target_modules
from pipeline.dataset.versions import sha256_file, write_version
from pipeline.records import AlpacaRecord, DialogueRecord, Lineage
from pipeline.train.sources import load_training_data, split_validation

runner = CliRunner()
RECORDS = [
    {"instruction": f"Give the number after {i}.", "input": "", "output": f"{i + 1}."} for i in range(10)
]
RECORDS.append({"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."}]})
SMALL = [
    "--batch-size",
    "4",
    "--micro_batch_size",
    "2",
    "--num-epochs",
    "1",
    "--val-set-size",
    "2",
    "--eval-steps",
    "2",
]


def _jsonl(tmp_path: Path, records: list) -> Path:
    path = tmp_path / "data.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_target_module_spellings() -> None:
    assert parse_target_modules("q_proj,v_proj") == ["q_proj", "v_proj"]
    assert parse_target_modules("[q_proj, 'k_proj']") == ["q_proj", "k_proj"]  # alpaca-lora's
    assert parse_target_modules("all-linear") == "all-linear"


@pytest.mark.slow
def test_train_a_jsonl_file_end_to_end_with_merge(tiny_llama_dir: Path, tmp_path: Path) -> None:
    data = _jsonl(tmp_path, RECORDS)
    out = tmp_path / "run"
    result = runner.invoke(
        app,
        [
            "train",
            str(data),
            "--out",
            str(out),
            "--base-model",
            str(tiny_llama_dir),
            *SMALL,
            "--lora-target-modules",
            "[q_proj,k_proj]",
            "--merge",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "train 9, validation 2" in result.output and "tokens/s" in result.output
    for name in (
        "adapter/adapter_model.safetensors",
        "metrics.json",
        "loss.png",
        "run_card.md",
        "run_card.json",
        "merged/model.safetensors",
    ):
        assert (out / name).is_file(), name
    card = json.loads((out / "run_card.json").read_text())
    assert card["dataset"]["sha256"] == sha256_file(data) and card["dataset"]["kind"] == "file"
    assert card["hyperparameters"]["target_modules"] == ["q_proj", "k_proj"]
    assert (
        card["hyperparameters"]["micro_batch_size"] == 2
        and card["hyperparameters"]["validation_records"] == 2
    )
    train, _ = split_validation(load_training_data(data).records, 2, seed=42)
    assert card["dataset"]["record_kinds"] == {
        "alpaca": sum(isinstance(r, AlpacaRecord) for r in train),
        "messages": sum(isinstance(r, DialogueRecord) for r in train),
    }
    AutoModelForCausalLM.from_pretrained(out / "merged")

    again = runner.invoke(
        app, ["train", str(data), "--out", str(out), "--base-model", str(tiny_llama_dir), *SMALL]
    )
    assert again.exit_code == 2 and "--resume" in again.output


@pytest.mark.slow
def test_train_a_dataset_version(tiny_llama_dir: Path, tmp_path: Path, data_dir: Path) -> None:
    records = [
        AlpacaRecord(instruction=r["instruction"], output=r["output"], lineage=Lineage(generator="t"))
        for r in RECORDS[:10]
    ]
    version = write_version("toy", records[:8], records[8:], [], config={}, stats={})
    out = tmp_path / "run"
    result = runner.invoke(
        app,
        [
            "train",
            "toy",
            "--out",
            str(out),
            "--base-model",
            str(tiny_llama_dir),
            *SMALL,
            "--template",
            "belle",
        ],
    )
    assert result.exit_code == 0, result.output
    card = json.loads((out / "run_card.json").read_text())
    assert (card["dataset"]["name"], card["dataset"]["version"]) == ("toy", version.version)
    assert card["dataset"]["sha256"] == version.manifest["files"]["train.jsonl"]["sha256"]
    assert card["template"] == "belle"
    assert "toy v" in (out / "run_card.md").read_text()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--template", "vicuna"], "unknown prompt template 'vicuna'"),
        (["--base-model", "/no/such/model"], "base model not found"),
        (["--cutoff-len", "16", "--overlength", "drop"], "no train record is left"),
        (["--lora-r", "0"], "--lora-r: Input should be greater than or equal to 1"),
        (["--resume"], "no checkpoint to resume from"),
        (["--device", "cuda"], "--device cuda: no CUDA device is available"),
        (["--load-in", "4bit"], "--load-in 4bit: quantised (QLoRA) bases need a CUDA GPU"),
        (["--device", "tpu"], "Invalid value for '--device'"),
    ],
)
def test_clear_errors_exit_2_and_write_nothing(
    tiny_llama_dir: Path, tmp_path: Path, args: list, message: str
) -> None:
    data = _jsonl(tmp_path, RECORDS)
    out = tmp_path / "run"
    base = [] if "--base-model" in args else ["--base-model", str(tiny_llama_dir)]
    result = runner.invoke(app, ["train", str(data), "--out", str(out), *base, *SMALL, *args])
    assert result.exit_code == 2 and message in " ".join(result.output.split()), result.output
    assert not out.exists()  # not even an empty folder: a failed run leaves nothing behind


@pytest.mark.parametrize(
    "where, message",
    [("file", "--out is a file; expected a directory"), ("under", "is a file, so no folder can be made")],
)
def test_an_out_that_cannot_hold_the_run_exits_2_before_loading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str, message: str
) -> None:
    """It was a FileExistsError traceback, exit 1, after the base model had loaded."""
    import pipeline.train.base_model as base_model

    monkeypatch.setattr(base_model, "prepare_base_model", lambda *a: pytest.fail("the base was loaded"))
    blocker = tmp_path / "blocker"
    blocker.write_text("keep me")
    out = blocker if where == "file" else blocker / "run"
    result = runner.invoke(app, ["train", str(_jsonl(tmp_path, RECORDS)), "--out", str(out), *SMALL])
    assert result.exit_code == 2 and message in " ".join(result.output.split()), result.output
    assert blocker.read_text() == "keep me"


def test_a_missing_data_file_is_named_as_a_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["train", str(tmp_path / "nofile.jsonl"), "--out", str(tmp_path / "run")])
    assert result.exit_code == 2 and "nofile.jsonl: no such file" in " ".join(result.output.split())


def test_empty_dataset_exits_2(tmp_path: Path) -> None:
    data = _jsonl(tmp_path, [])
    result = runner.invoke(app, ["train", str(data), "--out", str(tmp_path / "run")])
    assert result.exit_code == 2 and "the dataset file is empty" in result.output


def test_a_dataset_file_that_is_not_utf8_exits_2_naming_line_and_byte(tmp_path: Path) -> None:
    data = tmp_path / "gbk.jsonl"
    data.write_bytes(
        json.dumps({"instruction": "Say hi.", "output": "Hi."}).encode()
        + b"\n"
        + json.dumps({"instruction": "问好。", "output": "你好。"}, ensure_ascii=False).encode("gbk")
        + b"\n"
    )
    result = runner.invoke(app, ["train", str(data), "--out", str(tmp_path / "run")])
    assert result.exit_code == 2 and f"{data}:2: not UTF-8 text (byte 18" in " ".join(result.output.split())
    assert not (tmp_path / "run" / "adapter").exists()


def test_only_the_training_libraries_future_warnings_are_hidden() -> None:
    import warnings

    from pipeline.commands.train import _quiet_libraries

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _quiet_libraries()
        for module in ("transformers.trainer", "peft.tuners.lora", "torch", "pipeline.train.lora", "numpy"):
            warnings.warn_explicit(f"from {module}", FutureWarning, "where.py", 1, module=module)
        warnings.warn_explicit("not a FutureWarning", UserWarning, "where.py", 1, module="transformers")
    assert sorted(str(w.message) for w in caught) == [
        "from numpy",
        "from pipeline.train.lora",
        "not a FutureWarning",
    ]
