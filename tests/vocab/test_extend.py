"""Vocabulary extension on the tiny model: ids kept, exact round trips, mean-of-pieces rows, the
shorter Chinese encoding, and the refusals (too many tokens asked, another base model)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.errors import SeedforgeError
from tests.vocab.chinese_text import chinese_documents
from tests.vocab.conftest import ENGLISH

TRICKY = "Mixed 文本: naïve café 😀 ＡＢＣ 3.14\n\n  spaces\tand 深度学习的神经网络。"


def _tokenizers(tiny_llama_dir: Path, out: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_llama_dir), AutoTokenizer.from_pretrained(out)


def test_every_existing_token_keeps_its_id(extended, tiny_llama_dir: Path) -> None:
    info, out = extended
    old, new = _tokenizers(tiny_llama_dir, out)
    old_vocab, new_vocab = old.get_vocab(), new.get_vocab()
    assert all(new_vocab[token] == token_id for token, token_id in old_vocab.items())
    assert {i: t.content for i, t in old.added_tokens_decoder.items()} == {
        i: t.content for i, t in new.added_tokens_decoder.items()
    }
    assert (new.eos_token, new.eos_token_id) == (old.eos_token, old.eos_token_id)
    added_ids = sorted(set(new_vocab.values()) - set(old_vocab.values()))
    assert added_ids == list(range(len(old), len(old) + 300))
    assert info.added == 300 and info.new_vocab_size == len(new) == len(old) + 300


def test_encode_decode_round_trips_exactly(extended, zh_corpus: Path) -> None:
    from transformers import AutoTokenizer

    _, out = extended
    tokenizer = AutoTokenizer.from_pretrained(out)
    heldout = [json.loads(line)["text"] for line in (zh_corpus / "heldout.jsonl").open(encoding="utf-8")]
    for text in [*heldout, TRICKY, *chinese_documents(5, seed=99)]:
        ids = tokenizer.encode(text, add_special_tokens=False)
        assert tokenizer.decode(ids, clean_up_tokenization_spaces=False) == text


def test_chinese_text_takes_far_fewer_tokens(extended, tiny_llama_dir: Path) -> None:
    info, out = extended
    old, new = _tokenizers(tiny_llama_dir, out)
    unseen = "".join(chinese_documents(10, seed=7))
    before, after = len(old.encode(unseen)), len(new.encode(unseen))
    assert after < 0.7 * before
    zh = info.tokens_per_1000_chars
    assert zh.before is not None and zh.after is not None and zh.reduction is not None
    assert zh.reduction >= 0.3 and zh.after < zh.before
    assert info.tokens_per_1000_chars_all.documents == zh.documents + len(ENGLISH)
    for text in ENGLISH:  # merges learned inside Chinese pieces never fire in plain English
        assert new.encode(text) == old.encode(text)


def test_new_rows_are_the_mean_of_the_old_pieces(extended, tiny_llama_dir: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM

    _, out = extended
    old_tok, new_tok = _tokenizers(tiny_llama_dir, out)
    old_model = AutoModelForCausalLM.from_pretrained(tiny_llama_dir)
    new_model = AutoModelForCausalLM.from_pretrained(out)
    old_rows = old_model.get_input_embeddings().weight
    new_rows = new_model.get_input_embeddings().weight
    assert torch.equal(new_rows[: old_rows.shape[0]], old_rows)
    checked = 0
    for token_id in range(len(old_tok), len(new_tok)):
        text = new_tok.decode([token_id])
        if "\ufffd" in text or len(text) < 2:
            continue  # a partial character: its old pieces are bytes, not a text to re-encode
        pieces = old_tok.encode(text, add_special_tokens=False)
        assert len(pieces) >= 2
        expected = old_rows[pieces].mean(dim=0)
        assert torch.allclose(new_rows[token_id], expected, atol=1e-6)
        assert not torch.allclose(new_rows[token_id], old_rows[pieces[0]], atol=1e-4)
        checked += 1
        if checked == 3:
            break
    assert checked == 3
    assert new_model.get_output_embeddings().weight is new_model.get_input_embeddings().weight


def test_saved_directory_loads_with_consistent_sizes(extended) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    info, out = extended
    model = AutoModelForCausalLM.from_pretrained(out)
    tokenizer = AutoTokenizer.from_pretrained(out)
    rows = model.get_input_embeddings().weight.shape[0]
    assert len(tokenizer) <= rows == model.config.vocab_size == info.embedding_rows
    saved = json.loads((out / "vocab.json").read_text(encoding="utf-8"))
    assert saved["added"] == 300 and saved["corpus"] == {"name": "zh-test", "version": 1}
    assert "tokens per 1,000 characters" in (out / "report.md").read_text(encoding="utf-8").lower()


def test_asking_for_more_tokens_than_the_corpus_supports(zh_corpus: Path, tmp_path: Path) -> None:
    from pipeline.vocab.extend import extend_vocab

    out = tmp_path / "out"
    with pytest.raises(
        SeedforgeError, match=r"--add 50000: the corpus supports only \d+ new tokens"
    ) as caught:
        extend_vocab(zh_corpus, 50_000, out)
    available = int(str(caught.value).split("supports only ")[1].split()[0])
    assert 300 <= available < 50_000 and f"pass --add {available} or less" in str(caught.value)
    assert not out.exists() and not list(tmp_path.iterdir())
    # none at all: no advice to pass --add 0, which is refused
    with pytest.raises(SeedforgeError, match=r"supports only 0 new tokens") as caught:
        extend_vocab(zh_corpus, 10, out, min_frequency=10**9)
    assert "--add 0" not in str(caught.value) and "lower --min-frequency" in str(caught.value)


def test_a_base_model_with_another_tokenizer_is_refused(extended, zh_corpus: Path, tmp_path: Path) -> None:
    from pipeline.vocab.extend import extend_vocab

    _, other = extended  # the extended model: same architecture, another vocabulary
    with pytest.raises(SeedforgeError, match="--base-model .*is not the corpus's"):
        extend_vocab(zh_corpus, 10, tmp_path / "out", base_model=str(other))
    assert not (tmp_path / "out").exists()


def test_check_vocab_for_base(extended, tiny_llama_dir: Path) -> None:
    from transformers import AutoTokenizer

    from pipeline.corpus.pack import tokenizer_fingerprint
    from pipeline.vocab.info import check_vocab_for_base

    info, out = extended
    base_fp = tokenizer_fingerprint(AutoTokenizer.from_pretrained(tiny_llama_dir))
    assert check_vocab_for_base(out, base_fp).fingerprint == info.fingerprint != base_fp
    with pytest.raises(SeedforgeError) as caught:
        check_vocab_for_base(out, info.fingerprint, "other-base")
    message = str(caught.value)
    assert str(out) in message and str(tiny_llama_dir) in message and "'other-base'" in message
    with pytest.raises(SeedforgeError, match="no vocab.json"):
        check_vocab_for_base(tiny_llama_dir, base_fp)


def test_a_used_output_folder_needs_force(extended, zh_corpus: Path) -> None:
    from pipeline.vocab.extend import extend_vocab

    _, out = extended
    with pytest.raises(SeedforgeError, match="--force"):
        extend_vocab(zh_corpus, 10, out)
