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


def test_random_weights_rebuild_a_base_from_its_config_and_tokenizer(data_dir: Path, tmp_path: Path) -> None:
    """A base too large to copy to a GPU machine travels as its config and tokenizer."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaConfig

    from pipeline.train.base_model import prepare_base_model

    sys.path.insert(0, str(REPO / "bench"))
    try:
        import gpu
    finally:
        sys.path.remove(str(REPO / "bench"))
    folder = tmp_path / "config-only"
    LlamaConfig(
        vocab_size=49152, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64
    ).save_pretrained(folder)
    AutoTokenizer.from_pretrained(prepare_base_model(None)).save_pretrained(folder)
    assert not list(folder.glob("*.safetensors"))

    base = gpu._random_base(str(folder), tmp_path / "random")
    model = AutoModelForCausalLM.from_pretrained(base)
    assert model.config.hidden_size == 32 and model.config.num_hidden_layers == 2
    assert model.dtype == torch.bfloat16
    assert float(model.model.layers[0].self_attn.q_proj.weight.float().std()) > 0
    assert len(AutoTokenizer.from_pretrained(base)) == len(AutoTokenizer.from_pretrained(folder))
