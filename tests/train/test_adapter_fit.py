"""An adapter checked against a base from the adapter's header and the base's config.json, before
any weight is loaded: another width, depth or vocabulary is named, the right base passes."""

import json
from pathlib import Path

import numpy as np
import pytest

import pipeline.train.base_model as base_model
from pipeline.errors import SeedforgeError
from pipeline.train.adapter_fit import check_adapter_fits
from pipeline.train.export import merge_adapter


def _base_config(folder: Path, **changes) -> Path:
    config = {
        "model_type": "llama",
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "num_hidden_layers": 2,
        "vocab_size": 49152,
        **changes,
    }
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(config))
    return folder


def test_the_adapter_fits_its_own_base(trained, tiny_llama_dir: Path) -> None:
    result, _ = trained
    check_adapter_fits(result.adapter_dir, str(tiny_llama_dir))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"hidden_size": 128}, "its layer 0 down_proj has 64 output features, .* has 128"),
        ({"intermediate_size": 256}, "its layer 0 down_proj has 128 input features, .* has 256"),
        ({"num_key_value_heads": 4}, "its layer 0 k_proj has 32 output features, .* has 64"),
        ({"num_hidden_layers": 1}, "it adapts layer 1, .* has 1 layers"),
    ],
)
def test_an_adapter_for_another_base_is_named_before_loading(
    trained, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, changes, message
) -> None:
    result, _ = trained
    other = _base_config(tmp_path / "other", **changes)
    with pytest.raises(SeedforgeError, match="another base: " + message):
        check_adapter_fits(result.adapter_dir, str(other))
    monkeypatch.setattr(base_model, "check_fits", lambda *a: pytest.fail("weights were about to load"))
    with pytest.raises(SeedforgeError, match="another base"):
        merge_adapter(result.adapter_dir, tmp_path / "merged", base_model=str(other))
    assert not (tmp_path / "merged").exists()


def test_saved_embeddings_of_another_vocabulary_are_named(tmp_path: Path) -> None:
    from safetensors.numpy import save_file

    adapter = tmp_path / "adapter"
    adapter.mkdir()
    rows = np.zeros((49160, 64), dtype=np.float32)
    save_file(
        {"base_model.model.model.embed_tokens.weight": rows}, str(adapter / "adapter_model.safetensors")
    )
    with pytest.raises(
        SeedforgeError, match="another vocabulary: its embed_tokens has 49160 rows, .* 49152 tokens"
    ):
        check_adapter_fits(adapter, str(_base_config(tmp_path / "base")))
    check_adapter_fits(adapter, str(_base_config(tmp_path / "extended", vocab_size=49160)))


def test_a_hub_id_or_another_architecture_is_left_to_peft(trained, tmp_path: Path) -> None:
    result, _ = trained
    check_adapter_fits(result.adapter_dir, "HuggingFaceTB/SmolLM2-135M")
    check_adapter_fits(
        result.adapter_dir, str(_base_config(tmp_path / "gpt2", model_type="gpt2", hidden_size=9))
    )


def test_missing_or_damaged_adapter_weights_are_named_before_loading(trained, tmp_path: Path) -> None:
    """Without its weights PEFT looked on the Hub (a network error offline); a cut-off file failed
    deep in its loader. Both were a traceback and exit 1."""
    import shutil

    result, _ = trained
    base = str(_base_config(tmp_path / "base"))
    missing = shutil.copytree(result.adapter_dir, tmp_path / "missing")
    (missing / "adapter_model.safetensors").unlink()
    with pytest.raises(SeedforgeError, match="no weights"):
        check_adapter_fits(missing, base)
    whole = (result.adapter_dir / "adapter_model.safetensors").read_bytes()
    for name, content in (("header", whole[:100]), ("data", whole[:-10]), ("junk", b"not safetensors")):
        damaged = shutil.copytree(result.adapter_dir, tmp_path / name)
        (damaged / "adapter_model.safetensors").write_bytes(content)
        with pytest.raises(SeedforgeError, match="damaged|cut off"):
            check_adapter_fits(damaged, base)
