"""Loading a tuned model for `eval` (and `merge`): no third-party warning on the terminal."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from pipeline.evaluate.models import load_tuned
from pipeline.train.base_model import load_causal_lm
from pipeline.train.export import merge_adapter
from pipeline.train.lora import with_lora


def test_wrapping_and_loading_an_adapter_shows_no_library_future_warning(
    tiny_llama_dir: Path, tmp_path: Path
) -> None:
    """PEFT reads `is_gradient_checkpointing`, which transformers 5 deprecates: `eval` printed
    that FutureWarning from transformers' own source on every run."""
    from peft import LoraConfig

    adapter = tmp_path / "adapter"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lora = LoraConfig(r=2, lora_alpha=4, target_modules=["q_proj"], task_type="CAUSAL_LM")
        with_lora(load_causal_lm(str(tiny_llama_dir)), lora).save_pretrained(adapter)
        load_tuned(str(tiny_llama_dir), adapter)
        merge_adapter(adapter, tmp_path / "merged")
    assert [str(w.message) for w in caught if issubclass(w.category, FutureWarning)] == []


def test_loading_a_model_draws_no_library_progress_bar(
    tiny_llama_dir: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """transformers drew a "Loading weights" bar on every `eval`, `train` and `pretrain`."""
    from transformers.utils import logging as transformers_logging

    transformers_logging.enable_progress_bar()  # type: ignore[no-untyped-call]  # as a fresh process has it
    load_causal_lm(str(tiny_llama_dir))
    assert "Loading weights" not in capfd.readouterr().err
    assert transformers_logging.is_progress_bar_enabled()  # put back as it was
