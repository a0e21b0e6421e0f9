"""The extended model downstream: LoRA training on it, merging and reloading keep the vocabulary
size (no mismatch possible between adapter, merge and reload); untied heads get their own mean
rows; the command's exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.records import AlpacaRecord, Lineage
from pipeline.train.config import TrainConfig

runner = CliRunner()

RECORDS = [
    AlpacaRecord(
        instruction="介绍人工智能在医院里的作用。",
        output="医生研究人工智能和机器学习。",
        lineage=Lineage(generator="t"),
    ),
    AlpacaRecord(
        instruction="如何预防高血压？",
        output="饮食、运动和睡眠对于高血压有重要的影响。",
        lineage=Lineage(generator="t"),
    ),
]
TINY = TrainConfig(
    epochs=2, learning_rate=1e-2, batch_size=2, micro_batch_size=2, warmup_steps=0, val_set_size=0
)


def test_lora_on_the_extended_model_merges_and_reloads(extended, tmp_path: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from pipeline.train.export import merge_adapter
    from pipeline.train.lora import train_lora

    info, out = extended
    result = train_lora(RECORDS, RECORDS, TINY, str(out), tmp_path / "run")
    merged = merge_adapter(result.adapter_dir, tmp_path / "merged")
    model = AutoModelForCausalLM.from_pretrained(merged)
    tokenizer = AutoTokenizer.from_pretrained(merged)
    assert model.get_input_embeddings().weight.shape[0] == info.embedding_rows == model.config.vocab_size
    assert len(tokenizer) == info.new_vocab_size
    ids = tokenizer(RECORDS[0].output, return_tensors="pt")["input_ids"]
    assert int(ids.max()) >= info.old_vocab_size  # the text really uses new tokens
    assert model(input_ids=ids).logits.shape[-1] == info.embedding_rows


def test_untied_output_rows_get_the_mean_of_the_old_output_rows(
    zh_corpus: Path, tiny_llama_dir: Path, tmp_path: Path
) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaForCausalLM

    from pipeline.vocab.extend import extend_vocab
    from tests.vocab.conftest import write_corpus

    base = tmp_path / "untied"
    config = AutoModelForCausalLM.from_pretrained(tiny_llama_dir).config
    config.tie_word_embeddings = False
    torch.manual_seed(1)
    LlamaForCausalLM(config).save_pretrained(base)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(tiny_llama_dir / name, base / name)
    texts = [json.loads(line)["text"] for line in (zh_corpus / "train.jsonl").open(encoding="utf-8")]
    corpus = write_corpus(tmp_path / "corpus" / "v1", str(base), texts, texts[:3])
    info = extend_vocab(corpus, 50, tmp_path / "out")
    assert not info.tied_embeddings
    old = LlamaForCausalLM.from_pretrained(base)
    new = LlamaForCausalLM.from_pretrained(tmp_path / "out")
    old_tok, new_tok = AutoTokenizer.from_pretrained(base), AutoTokenizer.from_pretrained(tmp_path / "out")
    head_old, head_new = old.lm_head.weight, new.lm_head.weight
    assert (
        head_new.shape[0] == len(new_tok)
        and head_new.data_ptr() != new.get_input_embeddings().weight.data_ptr()
    )
    assert torch.equal(head_new[: head_old.shape[0]], head_old)
    text = next(
        t
        for i in range(len(old_tok), len(new_tok))
        if "\ufffd" not in (t := new_tok.decode([i])) and len(t) > 1
    )
    pieces = old_tok.encode(text, add_special_tokens=False)
    token_id = new_tok.convert_tokens_to_ids(new_tok.tokenize(text))[0]
    assert torch.allclose(head_new[token_id], head_old[pieces].mean(dim=0), atol=1e-6)
    assert not torch.allclose(head_new[token_id], new.get_input_embeddings().weight[token_id], atol=1e-4)


def test_command_writes_the_model_and_refuses_bad_requests(zh_corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    too_many = runner.invoke(
        app, ["vocab", "extend", "--corpus", str(zh_corpus), "--add", "90000", "--out", str(out)]
    )
    assert too_many.exit_code == 2 and "--add 90000" in too_many.output
    assert not out.exists()
    done = runner.invoke(
        app, ["vocab", "extend", "--corpus", str(zh_corpus), "--add", "40", "--out", str(out)]
    )
    assert done.exit_code == 0, done.output
    assert "40 new" in done.output and "fewer)" in done.output
    assert {"config.json", "model.safetensors", "tokenizer.json", "vocab.json", "report.md"} <= {
        p.name for p in out.iterdir()
    }
    again = runner.invoke(
        app, ["vocab", "extend", "--corpus", str(zh_corpus), "--add", "40", "--out", str(out)]
    )
    assert again.exit_code == 2 and "--force" in again.output
    forced = runner.invoke(
        app, ["vocab", "extend", "--corpus", str(zh_corpus), "--add", "41", "--out", str(out), "--force"]
    )
    assert forced.exit_code == 0, forced.output
    assert json.loads((out / "vocab.json").read_text(encoding="utf-8"))["added"] == 41
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left behind
