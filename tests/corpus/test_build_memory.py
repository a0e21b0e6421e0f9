"""A corpus build streams: its peak memory must not grow with the text it reads. (The dedup
index does grow, by design: a digest, a MinHash signature and LSH entries per document, about
1 KB, never the text; it is left out here so that anything else that grew would show.)"""

from __future__ import annotations

import json
import random
import tracemalloc
from pathlib import Path

import pytest

from pipeline.corpus.build import build_corpus
from pipeline.corpus.config import CorpusConfig
from tests.corpus.corpus_docs import WORDS


def _jsonl(path: Path, documents: int, seed: int) -> int:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as handle:
        for _ in range(documents):
            sentences = [" ".join(rng.choice(WORDS) for _ in range(12)).capitalize() + "." for _ in range(30)]
            handle.write(json.dumps({"text": " ".join(sentences)}) + "\n")
    return path.stat().st_size


def _peak(paths: list[Path], name: str, config: CorpusConfig) -> int:
    tracemalloc.start()
    try:
        build_corpus(paths, name, config)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_peak_memory_does_not_follow_corpus_size(
    data_dir: Path, tiny_llama_dir: Path, tmp_path: Path
) -> None:
    config = CorpusConfig.model_validate(
        {
            "base_model": str(tiny_llama_dir),
            "block_size": 64,
            "quality": {"enabled": False},
            "dedup": {"exact": False, "near": False, "paragraphs": False},
        }
    )
    small, large = tmp_path / "small.jsonl", tmp_path / "large.jsonl"
    small_bytes, large_bytes = _jsonl(small, 300, 1), _jsonl(large, 3000, 2)
    build_corpus([small], "warm", config)  # imports and caches, outside the measurement
    small_peak = _peak([small], "small", config)
    large_peak = _peak([large], "large", config)
    growth = large_peak - small_peak
    # 10x the documents (~5 MB more text): the peak stays where it was
    assert growth < 0.05 * (large_bytes - small_bytes), (small_peak, large_peak, large_bytes)
