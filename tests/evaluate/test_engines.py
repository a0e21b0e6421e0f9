"""Where evaluation answers come from: the device check before loading, and the vLLM path.

vLLM needs a CUDA machine and is not installed here, so its glue is tested against a stand-in
module that records what seedforge asks of `vllm.LLM` (one engine, LoRA enabled, the base
side without a LoRA request and the tuned side with the adapter folder) and answers in vLLM's
output shapes. The stand-in checks seedforge's side of the contract, not vLLM."""

import json
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.errors import SeedforgeError
from pipeline.evaluate.answers import Decoding
from pipeline.evaluate.evalsets import EvalItem
from pipeline.evaluate.vllm_answers import engine_rank, generate_answers_vllm
from tests.evaluate.conftest import WORD_RECORDS

runner = CliRunner()


def _cli(adapter: Path, base: Path, tmp_path: Path, *extra: str):
    eval_set = tmp_path / "eval.jsonl"
    eval_set.write_text("\n".join(json.dumps(r.to_alpaca()) for r in WORD_RECORDS[:2]), encoding="utf-8")
    out = tmp_path / "out"
    args = ["eval", "--adapter", str(adapter), "--base-model", str(base), "--eval-set", str(eval_set)]
    result = runner.invoke(app, [*args, "--out", str(out), "--no-judge", "--no-semantic", *extra])
    return result, out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--device", "cuda"], "--device cuda: no CUDA device is available"),
        (["--engine", "vllm"], "--engine vllm needs vLLM, which is not installed"),
    ],
)
def test_an_engine_or_device_that_is_not_there_exits_2_before_loading(
    word_adapter: Path, tiny_llama_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra, message
) -> None:
    monkeypatch.setattr("pipeline.evaluate.run.load_tuned", lambda *a, **k: pytest.fail("loaded a model"))
    result, out = _cli(word_adapter, tiny_llama_dir, tmp_path, *extra)
    assert result.exit_code == 2 and message in " ".join(result.output.split()), result.output
    assert not out.exists()


def test_engine_rank_is_the_smallest_vllm_serves() -> None:
    assert [engine_rank(r) for r in (1, 8, 9, 64, 65)] == [8, 8, 16, 64, 128]
    with pytest.raises(SeedforgeError, match="above the largest vLLM serves"):
        engine_rank(1024)


@dataclass
class _Completion:
    text: str
    token_ids: list[int]
    finish_reason: str


@dataclass
class _Output:
    outputs: list[_Completion]


@dataclass
class _StandIn:
    """What seedforge asked: the engine's options and each generate call."""

    options: dict = field(default_factory=dict)
    calls: list[tuple[list[str], object, object]] = field(default_factory=list)


def _stand_in_vllm(monkeypatch: pytest.MonkeyPatch) -> _StandIn:
    seen = _StandIn()

    class LLM:
        def __init__(self, **options):
            seen.options = options

        def generate(self, prompts, sampling, lora_request=None):
            seen.calls.append((prompts, sampling, lora_request))
            side = "tuned" if lora_request else "base"
            return [
                _Output([_Completion(f" {side} answer {n} ", [1, 2, 3], "stop" if n else "length")])
                for n in range(len(prompts))
            ]

    class SamplingParams:
        def __init__(self, **options):
            self.options = options

    class LoRARequest:
        def __init__(self, name, number, path):
            self.args = (name, number, path)

    vllm = types.ModuleType("vllm")
    vllm.LLM, vllm.SamplingParams = LLM, SamplingParams  # type: ignore[attr-defined]
    lora = types.ModuleType("vllm.lora")
    request = types.ModuleType("vllm.lora.request")
    request.LoRARequest = LoRARequest  # type: ignore[attr-defined]
    for name, module in (("vllm", vllm), ("vllm.lora", lora), ("vllm.lora.request", request)):
        monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.setattr("importlib.util.find_spec", lambda name, *a: object() if name == "vllm" else None)
    return seen


def test_vllm_answers_base_without_and_tuned_with_the_adapter(
    monkeypatch: pytest.MonkeyPatch, smol_tokenizer_dir: Path, tmp_path: Path
) -> None:
    from transformers import AutoTokenizer

    seen = _stand_in_vllm(monkeypatch)
    items = [EvalItem(id=f"i{n}", instruction=f"Say {n}.", source="test") for n in range(3)]
    tokenizer = AutoTokenizer.from_pretrained(smol_tokenizer_dir)
    decoding = Decoding(max_new_tokens=7, temperature=0.0, seed=5)
    run = generate_answers_vllm("BASE", tmp_path / "adapter", 12, items, "alpaca", tokenizer, decoding)

    assert seen.options == {"model": "BASE", "enable_lora": True, "max_lora_rank": 16, "seed": 5}
    (base_prompts, sampling, no_lora), (tuned_prompts, _, lora) = seen.calls
    assert (
        base_prompts == tuned_prompts and "Say 0." in base_prompts[0] and "### Response:" in base_prompts[0]
    )
    assert no_lora is None and lora.args == ("tuned", 1, str(tmp_path / "adapter"))
    assert sampling.options == {"temperature": 0.0, "top_p": 1.0, "max_tokens": 7, "seed": 5}
    assert run.base.answers == ["base answer 0", "base answer 1", "base answer 2"]
    assert run.tuned.answers[2] == "tuned answer 2" and run.extra == {"engine": "vllm"}
    assert (run.tuned.new_tokens, run.tuned.stopped) == (9, 2)
