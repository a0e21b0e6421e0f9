"""A tuned adapter as GGUF for llama.cpp: refusals (fast), and on the real embedded SmolLM2
(slow) the LoRA and merged files against transformers, then the tuned model served by `seedforge
llm serve --adapter` and asked through the OpenAI client."""

import json
import re
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.errors import SeedforgeError
from pipeline.llm.embedded import embedded_gguf_path
from pipeline.train.gguf_export import BaseGGUF, check_lora_file, read_adapter, write_lora

runner = CliRunner()
PROJECTIONS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def _fake_adapter(folder: Path, config: dict, tensors: dict[str, np.ndarray]) -> Path:
    from safetensors.numpy import save_file

    folder.mkdir(parents=True, exist_ok=True)
    base = {"peft_type": "LORA", "r": 2, "lora_alpha": 4, "base_model_name_or_path": str(folder / "nowhere")}
    (folder / "adapter_config.json").write_text(json.dumps({**base, **config}))
    save_file(tensors, str(folder / "adapter_model.safetensors"))
    return folder


def _pair(module: str, rows: int, columns: int, layer: int = 0) -> dict[str, np.ndarray]:
    where = "self_attn" if module.endswith(("q_proj", "k_proj", "v_proj", "o_proj")) else "mlp"
    prefix = f"base_model.model.model.layers.{layer}.{where}.{module}"
    rng = np.random.default_rng(layer)
    return {
        f"{prefix}.lora_A.weight": rng.normal(size=(2, columns)).astype(np.float32),
        f"{prefix}.lora_B.weight": rng.normal(size=(rows, 2)).astype(np.float32),
    }


@pytest.mark.parametrize(
    ("config", "tensors", "message"),
    [
        (
            {"peft_type": "IA3"},
            _pair("q_proj", 576, 576),
            "only LoRA adapters convert to GGUF, this one is IA3",
        ),
        ({"use_dora": True}, _pair("q_proj", 576, 576), "DoRA and per-module ranks"),
        ({}, _pair("fc_in", 576, 576), "LoRA on 'fc_in' has no llama.cpp tensor"),
        ({}, {"base_model.model.model.norm.weight": np.ones(4, np.float32)}, "has no llama.cpp counterpart"),
    ],
)
def test_adapters_without_a_gguf_form_are_refused(tmp_path: Path, config, tensors, message) -> None:
    with pytest.raises(SeedforgeError, match=re.escape(message)):
        read_adapter(_fake_adapter(tmp_path / "adapter", config, tensors))


def test_rslora_folds_its_scale_into_the_alpha_llama_cpp_divides_by_rank(tmp_path: Path) -> None:
    plain = read_adapter(_fake_adapter(tmp_path / "a", {}, _pair("q_proj", 576, 576)))
    assert (plain.scale, plain.alpha) == (2.0, 4.0)
    rs = read_adapter(_fake_adapter(tmp_path / "b", {"use_rslora": True}, _pair("q_proj", 576, 576)))
    assert rs.scale == pytest.approx(4 / 2**0.5) and rs.alpha / 2 == pytest.approx(rs.scale)


def test_an_adapter_for_another_base_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    wide = _fake_adapter(tmp_path / "wide", {}, _pair("q_proj", 64, 64))
    with pytest.raises(
        SeedforgeError, match=r"another base: its blk\.0\.attn_q\.weight update is 64x64, .* 576x576"
    ):
        write_lora(wide, embedded_gguf_path(), tmp_path / "out.gguf")
    deep = _fake_adapter(tmp_path / "deep", {}, _pair("v_proj", 192, 576, layer=40))
    with pytest.raises(SeedforgeError, match=r"blk\.40\.attn_v\.weight is not in .* \(30 blocks\)"):
        write_lora(deep, embedded_gguf_path(), tmp_path / "out.gguf")
    assert list(tmp_path.glob("*.gguf")) == [] and list(tmp_path.glob(".tmp-*")) == []


def test_q_and_k_rows_are_permuted_as_llama_cpp_stores_them() -> None:
    base = BaseGGUF(embedded_gguf_path())
    assert (base.heads, base.kv_heads) == (9, 3)
    rows = np.arange(576 * 2, dtype=np.float32).reshape(576, 2)
    permuted = base.rows_permuted("blk.0.attn_q.weight", rows)
    # within each head of 64 rows, llama.cpp interleaves the two rotary halves
    order = [h * 64 + half * 32 + i for h in range(9) for i in range(32) for half in range(2)]
    assert permuted[:, 0].tolist() == rows[order, 0].tolist()
    assert base.rows_permuted("blk.0.attn_k.weight", rows[:192]).shape == (192, 2)
    assert base.rows_permuted("blk.0.attn_v.weight", rows) is rows


def test_the_served_file_must_be_a_lora_for_this_base(tmp_path: Path) -> None:
    import gguf

    with pytest.raises(SeedforgeError, match="not a GGUF LoRA adapter"):
        check_lora_file(embedded_gguf_path(), embedded_gguf_path())
    wrong = tmp_path / "wrong.gguf"
    writer = gguf.GGUFWriter(str(wrong), "llama")
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_tensor("blk.0.attn_q.weight.lora_a", np.zeros((2, 64), np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    with pytest.raises(SeedforgeError, match=r"another base: blk\.0\.attn_q\.weight\.lora_a is \[64, 2\]"):
        check_lora_file(wrong, embedded_gguf_path())
    with pytest.raises(SeedforgeError, match="a folder: convert a PEFT adapter first"):
        check_lora_file(tmp_path, embedded_gguf_path())
    result = runner.invoke(app, ["llm", "serve", "--adapter", str(wrong)])
    assert result.exit_code == 2 and "another base" in result.output


def test_export_gguf_command_errors_exit_2(tmp_path: Path, data_dir: Path) -> None:
    adapter = _fake_adapter(tmp_path / "adapter", {}, _pair("q_proj", 576, 576))
    result = runner.invoke(app, ["export", "gguf", str(adapter), "--out", str(tmp_path / "x.gguf")])
    assert result.exit_code == 2 and "pass --base FILE.gguf" in " ".join(result.output.split())
    (tmp_path / "taken.gguf").write_bytes(b"")
    result = runner.invoke(app, ["export", "gguf", str(adapter), "--out", str(tmp_path / "taken.gguf")])
    assert result.exit_code == 2 and "already exists" in result.output
    (tmp_path / "empty").mkdir()
    result = runner.invoke(
        app, ["export", "gguf", str(tmp_path / "empty"), "--out", str(tmp_path / "y.gguf")]
    )
    assert result.exit_code == 2 and "not a PEFT adapter directory" in result.output
    result = runner.invoke(
        app,
        [
            "export",
            "gguf",
            str(adapter),
            "--base",
            str(embedded_gguf_path()),
            "--out",
            str(tmp_path / "z.gguf"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "seedforge llm serve --adapter" in result.output and (tmp_path / "z.gguf").stat().st_size > 0


# --- the real embedded model: slow ---

RECORDS = [
    ("Name the seedforge test colour.", "Vermilion, always vermilion."),
    ("What does the seedforge parrot say?", "The parrot says: forge the seeds."),
]


@pytest.fixture(scope="module")
def real_adapter(embedded_hf_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from pipeline.records import AlpacaRecord, Lineage
    from pipeline.train.config import TrainConfig
    from pipeline.train.lora import train_lora

    records = [AlpacaRecord(instruction=i, output=o, lineage=Lineage(generator="t")) for i, o in RECORDS]
    config = TrainConfig(
        epochs=18,
        learning_rate=3e-3,
        batch_size=2,
        micro_batch_size=2,
        lora_dropout=0.0,
        warmup_steps=0,
        target_modules=PROJECTIONS,
    )
    out = tmp_path_factory.mktemp("real-run")
    train_lora(records, records, config, str(embedded_hf_model), out)
    return out  # the folder `seedforge train --out` writes


def _llama_cpp_logits(prompt_ids: list[int], **options) -> np.ndarray:
    from llama_cpp import Llama

    llm = Llama(n_ctx=256, n_threads=1, verbose=False, logits_all=True, **options)
    llm.eval(prompt_ids)
    return np.array(llm.scores[len(prompt_ids) - 1])


@pytest.mark.slow
def test_lora_and_merged_gguf_give_transformers_logits(
    real_adapter: Path, embedded_hf_model: Path, tmp_path: Path
) -> None:
    """Next-token logits of the tuned model after a prompt nobody trained on: llama.cpp (base +
    GGUF LoRA, and the merged GGUF) against transformers (the dequantised base + PEFT). The
    check allows for quantisation: llama.cpp multiplies Q4_1 weights by 8-bit activations, so
    the logits correlate at about 0.999, not 1; a missing q/k permutation drops that."""
    import torch

    from pipeline.evaluate.models import load_tuned

    lora, merged = tmp_path / "lora.gguf", tmp_path / "merged.gguf"
    for args in (["--out", str(lora)], ["--merged", "--out", str(merged)]):
        result = runner.invoke(app, ["export", "gguf", str(real_adapter), *args])
        assert result.exit_code == 0, result.output
    tuned = load_tuned(str(embedded_hf_model), real_adapter / "adapter", 1)
    ids = tuned.tokenizer("The capital of France is", add_special_tokens=False).input_ids
    with torch.no_grad():
        hf_tuned = tuned.model(torch.tensor([ids])).logits[0, -1].numpy()
        with tuned.base():
            hf_base = tuned.model(torch.tensor([ids])).logits[0, -1].numpy()
    by_lora = _llama_cpp_logits(ids, model_path=str(embedded_gguf_path()), lora_path=str(lora))
    by_merged = _llama_cpp_logits(ids, model_path=str(merged))

    def correlation(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.corrcoef(a, b)[0, 1])

    assert correlation(hf_tuned, hf_base) < 0.99  # the adapter moved this prompt's logits
    for engine in (by_lora, by_merged):
        assert correlation(engine, hf_tuned) > 0.998
        assert correlation(engine, hf_tuned) > correlation(engine, hf_base) + 0.005
        assert int(engine.argmax()) == int(hf_tuned.argmax())
    assert merged.stat().st_size > embedded_gguf_path().stat().st_size  # adapted tensors in f16


@pytest.mark.slow
def test_the_served_tuned_model_answers_as_transformers_does(
    real_adapter: Path, embedded_hf_model: Path, tmp_path: Path
) -> None:
    """`seedforge llm serve --adapter FILE`, asked through the OpenAI client: greedy answers
    to the trained prompts equal transformers' greedy answers with the same adapter (and are
    not the base's), then SIGTERM stops the server (exit 143)."""
    import torch
    from openai import OpenAI

    from pipeline.evaluate.models import load_tuned
    from pipeline.records import AlpacaRecord, Lineage
    from pipeline.train.templates import render_prompt

    lora = tmp_path / "tuned.gguf"
    assert runner.invoke(app, ["export", "gguf", str(real_adapter), "--out", str(lora)]).exit_code == 0
    prompts = [
        render_prompt(AlpacaRecord(instruction=i, output="", lineage=Lineage(generator="t")), "alpaca")
        for i, _ in RECORDS
    ]
    tuned = load_tuned(str(embedded_hf_model), real_adapter / "adapter", 1)
    tokenizer = tuned.tokenizer
    expected, base_answers = [], []
    for prompt in prompts:
        ids = tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
        options = {"max_new_tokens": 24, "do_sample": False, "pad_token_id": tokenizer.pad_token_id}
        with torch.no_grad():
            answer = tuned.model.generate(**ids, **options)[0, ids.input_ids.shape[1] :]
            with tuned.base():
                base = tuned.model.generate(**ids, **options)[0, ids.input_ids.shape[1] :]
        expected.append(tokenizer.decode(answer, skip_special_tokens=True))
        base_answers.append(tokenizer.decode(base, skip_special_tokens=True))
    assert expected == [o for _, o in RECORDS] and expected != base_answers

    server = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "llm", "serve", "--adapter", str(lora)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = server.stdout.readline() if server.stdout else ""
        found = re.search(r"serving at (http://\S+/v1) as (\S+)", line)
        assert found, line
        client = OpenAI(base_url=found[1], api_key="unused")
        assert [m.id for m in client.models.list().data] == [found[2]] == ["smollm2-135m-instruct+tuned"]
        served = [
            client.completions.create(model=found[2], prompt=p, max_tokens=24, temperature=0).choices[0].text
            for p in prompts
        ]
        assert [answer.strip() for answer in served] == expected
    finally:
        server.send_signal(signal.SIGTERM)
        code = server.wait(30)
    assert code == 143
