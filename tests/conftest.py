"""Shared fixtures. Prefect's environment is fixed here, before anything imports Prefect."""

from __future__ import annotations

import os
import signal
import tempfile
from pathlib import Path

import pytest

_PREFECT_HOME = tempfile.mkdtemp(prefix="seedforge-prefect-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME  # task caches leak between sessions otherwise
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = "120"
os.environ.pop("PREFECT_API_URL", None)
os.environ.pop("OPENAI_BASE_URL", None)
os.environ.pop("OPENAI_API_KEY", None)
os.environ.setdefault("SEEDFORGE_TORCH_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parent.parent

# A suite started in the background of a script (`pytest ... &`) inherits SIGINT ignored, and so
# would every command the signal tests start: they would then outlive the SIGINT sent to them.
# A handler (unlike "ignored") is not inherited across exec, so the commands start as usual.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "data"
    monkeypatch.setenv("SEEDFORGE_DATA_DIR", str(path))
    return path


@pytest.fixture(scope="session")
def prefect_harness():
    """Prefect's test harness (a real ephemeral API), started once for every test that asks:
    a start costs 15-20 s on two cores."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def embedded_server():
    """One real llama.cpp server with the embedded model for the whole session."""
    from pipeline.llm.embedded import EmbeddedServer

    server = EmbeddedServer(log_path=Path(tempfile.mkdtemp()) / "llm.log").start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def smol_tokenizer_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The SmolLM2 tokenizer (ChatML template, pad = eos = <|im_end|>) read from the GGUF."""
    from transformers import AutoTokenizer

    from pipeline.llm.embedded import embedded_gguf_path

    gguf = embedded_gguf_path()
    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    target = tmp_path_factory.mktemp("smol-tokenizer")
    tokenizer.save_pretrained(target)
    return target


@pytest.fixture(scope="session")
def embedded_hf_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The embedded SmolLM2 as an HF folder, converted once for the session: each fresh
    DATA_DIR would convert it again (~40 s). Tests of the conversion itself use their own."""
    from pipeline.llm.embedded import embedded_gguf_path
    from pipeline.train.base_model import convert_gguf

    return convert_gguf(embedded_gguf_path(), tmp_path_factory.mktemp("embedded-hf") / "smollm2-hf")


@pytest.fixture(scope="session")
def tiny_llama_dir(tmp_path_factory: pytest.TempPathFactory, smol_tokenizer_dir: Path) -> Path:
    """A tiny random LlamaForCausalLM (3.2M params) with the real tokenizer: fast to train."""
    import shutil

    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(smol_tokenizer_dir)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        intermediate_size=128,
        max_position_embeddings=512,
        tie_word_embeddings=True,
        initializer_range=0.3,  # logits able to peak after RMSNorm
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        # no pad_token_id: nn.Embedding would zero the row of pad (= eos) and freeze it, and a
        # tied head could then never predict EOS; the real model's row is trained
    )
    target = tmp_path_factory.mktemp("tiny-llama")
    LlamaForCausalLM(config).save_pretrained(target)
    for item in smol_tokenizer_dir.iterdir():
        shutil.copy(item, target / item.name)
    return target
