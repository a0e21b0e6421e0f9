import json
from pathlib import Path

import pytest
import torch
from peft import PeftModel
from transformers import AutoModelForCausalLM, AutoTokenizer

from pipeline.errors import SeedforgeError
from pipeline.train.export import merge_adapter
from pipeline.train.templates import render_prompt
from tests.train.conftest import RECORDS

pytestmark = pytest.mark.slow


def test_merged_model_is_standalone_and_matches_the_adapter(
    trained, tiny_llama_dir: Path, tmp_path: Path
) -> None:
    result, _ = trained
    merged_dir = merge_adapter(result.adapter_dir, tmp_path / "merged")
    files = {p.name for p in merged_dir.iterdir()}
    assert "model.safetensors" in files and "tokenizer.json" in files
    assert not any(name.startswith("adapter_") for name in files)
    assert json.loads((merged_dir / "generation_config.json").read_text())["eos_token_id"] == 2

    tokenizer = AutoTokenizer.from_pretrained(merged_dir)
    merged = AutoModelForCausalLM.from_pretrained(merged_dir).eval()
    assert not any("lora" in name for name, _ in merged.named_parameters())
    adapted = PeftModel.from_pretrained(
        AutoModelForCausalLM.from_pretrained(tiny_llama_dir), str(result.adapter_dir)
    ).eval()
    prompt = tokenizer(render_prompt(RECORDS[0], "alpaca"), return_tensors="pt", add_special_tokens=False)
    with torch.no_grad():
        torch.testing.assert_close(merged(**prompt).logits, adapted(**prompt).logits, rtol=1e-4, atol=1e-4)
        output = merged.generate(**prompt, max_new_tokens=20, do_sample=False)  # eos from generation_config
    new = output[0, prompt["input_ids"].shape[1] :].tolist()
    assert new[-1] == tokenizer.eos_token_id and tokenizer.decode(new[:-1]) == "Red."


def test_merge_refuses_to_overwrite_and_needs_an_adapter(trained, tmp_path: Path) -> None:
    result, _ = trained
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "x").write_text("keep")
    with pytest.raises(SeedforgeError, match="not empty"):
        merge_adapter(result.adapter_dir, tmp_path / "taken")
    with pytest.raises(SeedforgeError, match="no adapter_config.json"):
        merge_adapter(tmp_path, tmp_path / "out")
    assert (tmp_path / "taken" / "x").read_text() == "keep"


def test_merged_bfloat16_export(trained, tmp_path: Path) -> None:
    result, _ = trained
    merged_dir = merge_adapter(result.adapter_dir, tmp_path / "bf16", dtype="bfloat16")
    assert json.loads((merged_dir / "config.json").read_text())["dtype"] == "bfloat16"
