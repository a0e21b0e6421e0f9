"""Data parallel training with the same command: `accelerate launch --multi_gpu --num_processes 2 -m
pipeline.cli train ...` (gloo on this CPU; NCCL on GPUs) trains the same run as one process —
with dropout off, the same losses step by step and the same adapter — and only the first
process writes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from pipeline.errors import SeedforgeError
from pipeline.train.distributed import Ranks, launched_world

pytestmark = pytest.mark.slow

RECORDS = [
    {"instruction": f"Repeat the word number {i}.", "input": "", "output": f"Word {i} " * (1 + i % 4)}
    for i in range(12)
]
OPTIONS = [
    "--batch-size", "6", "--micro-batch-size", "1", "--num-epochs", "2", "--val-set-size", "2",
    "--lora-dropout", "0", "--learning-rate", "0.01", "--eval-steps", "2", "--save-steps", "2",
    "--threads", "1",
]  # fmt: skip


def test_each_process_takes_every_world_th_item() -> None:
    items = list(range(7))
    assert Ranks(0, 2).share(items) == [0, 2, 4, 6] and Ranks(1, 2).share(items) == [1, 3, 5]
    assert Ranks(2, 3).share(items) == [2, 5] and Ranks().share(items) == items
    assert launched_world() == int(os.environ.get("WORLD_SIZE", "1"))


def _train(
    command: list[str], data: Path, base: Path, out: Path, env: dict[str, str]
) -> subprocess.CompletedProcess:
    args = ["-m", "pipeline.cli", "train", str(data), "--out", str(out), "--base-model", str(base), *OPTIONS]
    return subprocess.run([*command, *args], capture_output=True, text=True, env=env, timeout=600)


def test_two_processes_train_what_one_trains(tiny_llama_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "data.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in RECORDS), encoding="utf-8")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    one = _train([sys.executable], data, tiny_llama_dir, tmp_path / "one", env)
    assert one.returncode == 0, one.stderr[-2000:]
    # the command as on GPUs; on this CPU-only machine each process trains on the CPU over gloo
    launcher = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2"]
    launcher += ["--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no"]
    two = _train(launcher, data, tiny_llama_dir, tmp_path / "two", env)
    assert two.returncode == 0, two.stderr[-3000:]

    single = json.loads((tmp_path / "one" / "metrics.json").read_text())
    parallel = json.loads((tmp_path / "two" / "metrics.json").read_text())
    assert parallel["placement"]["processes"] == 2 and single["placement"]["processes"] == 1
    assert [h["train_loss"] for h in parallel["history"]] == pytest.approx(
        [h["train_loss"] for h in single["history"]], rel=1e-4
    )
    assert parallel["validation_loss"] == pytest.approx(single["validation_loss"], rel=1e-4)
    assert parallel["input_tokens"] == single["input_tokens"]
    weights_one = load_file(tmp_path / "one" / "adapter" / "adapter_model.safetensors")
    weights_two = load_file(tmp_path / "two" / "adapter" / "adapter_model.safetensors")
    for name, value in weights_one.items():
        torch.testing.assert_close(weights_two[name], value, rtol=1e-3, atol=1e-5)
    assert two.stdout.count("steps in") == 1  # one process reports
    assert (
        sorted(p.name for p in (tmp_path / "two" / "checkpoints").iterdir())
        == ["checkpoint-2"]
        == sorted(p.name for p in (tmp_path / "one" / "checkpoints").iterdir())
    )


def test_pretrain_refuses_several_processes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from pipeline.pretrain.config import PretrainConfig
    from pipeline.pretrain.run import pretrain

    monkeypatch.setenv("WORLD_SIZE", "2")
    with pytest.raises(SeedforgeError, match="pretrain runs in one process"):
        pretrain(tmp_path / "no-corpus", tmp_path / "out", PretrainConfig())
