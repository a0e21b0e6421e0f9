"""`bench/gpu.py` is ready to run when a GPU is lent: here it runs end to end on a CPU with a
tiny model (seedforge, the alpaca-lora recipe and TRL padding-free each train one step in their
own process), and the 4-bit rows say what they need instead of failing."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


def test_the_gpu_benchmark_runs_on_a_cpu_with_a_tiny_model(data_dir: Path, tmp_path: Path) -> None:
    result = tmp_path / "gpu.json"
    command = [sys.executable, str(REPO / "bench" / "gpu.py"), "--device", "cpu", "--tiny"]
    command += ["--steps", "1", "--rounds", "1", "--variants", "bf16,4bit", "--json", str(result)]
    completed = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=900)
    assert completed.returncode == 0, completed.stderr[-3000:]
    table = json.loads(result.read_text())["table"]
    for system in ("seedforge", "alpaca-lora", "trl"):
        assert table[f"{system} / bf16"]["tokens_per_second"] > 0, table
        assert table[f"{system} / 4bit"] == {"skipped": "needs bitsandbytes, a CUDA device"}
    assert table["trl / bf16"]["seedforge_ratio"] > 0 and "seedforge_ratio" in table["alpaca-lora / bf16"]
    assert "| seedforge / bf16 |" in completed.stdout and "a smoke run of the script" in completed.stdout
