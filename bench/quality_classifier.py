"""Would a trained text classifier, added to the structural checks, catch the defect shapes the
rules miss? Measured on the labelled sets in bench/data/quality/ (needs scikit-learn:
`pip install -e .[bench]`).

The classifier: logistic regression (balanced classes) over hashed character 1-4-grams of each
field, plus character 1-3-grams of each field's first and last eight characters — the usual
cheap quality classifier. It learns "bad" = any structural defect. Trained on the sets the
rules were tuned on (`labelled`, `holdout`, `final`, `blind`, `tune3` and what the embedded
generator wrote); a record is dropped when the rules drop it or the classifier's probability
reaches a cut-off. Reported: leave-one-set-out cross-validation over the training sets (each
set scored by a classifier trained on the others), and the `unseen` set, which neither the
rules nor the classifier saw. `sealed` is not read.

`--features embeddings` trains the same classifier on sentence embeddings instead: the
all-MiniLM-L6-v2 vectors (the evaluation stage's model, loaded offline) of instruction, input
and output, their element-wise products (instruction x output, input x output), the three
cosines between the fields, whether the input is empty and the log length of each field. It
asks whether a model of meaning, not of characters, finds what the rules miss.

    python bench/quality_classifier.py [--features chars|embeddings]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from labelled_sets import labelled_files

from pipeline.curate.config import StructureConfig
from pipeline.curate.structure import check_structure
from pipeline.curate.structure.measure import LabelledRecord, read_labelled
from pipeline.records import AlpacaRecord

TRAINING = ("labelled", "holdout", "final", "blind", "tune3", "generated")
CUTOFFS = (0.5, 0.7, 0.9)


def _load(names: tuple[str, ...]) -> list[tuple[str, str, LabelledRecord]]:
    files = labelled_files(names)
    return [(name, language, item) for name, language, path in files for item in read_labelled(path)]


def _features(rows: list[tuple[str, str, LabelledRecord]]) -> Any:
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import HashingVectorizer

    def vectorizer(ngrams: tuple[int, int], size: int) -> HashingVectorizer:
        return HashingVectorizer(analyzer="char", ngram_range=ngrams, n_features=size, alternate_sign=False)

    records = [item.record for _, _, item in rows]
    assert all(isinstance(record, AlpacaRecord) for record in records)
    fields = [[getattr(record, name) for record in records] for name in ("instruction", "input", "output")]
    whole, edges = vectorizer((1, 4), 2**18), vectorizer((1, 3), 2**16)
    parts = []
    for texts in fields:
        parts += [
            whole.transform(texts),
            edges.transform(["^" + text.strip()[:8] for text in texts]),
            edges.transform([text.strip()[-8:] + "$" for text in texts]),
        ]
    return hstack(parts).tocsr()


def _embedding_features(rows: list[tuple[str, str, LabelledRecord]]) -> Any:
    from pipeline.evaluate.metrics import SemanticScorer

    model = SemanticScorer()._load()
    records = [item.record for _, _, item in rows]
    assert all(isinstance(record, AlpacaRecord) for record in records)

    def encode(name: str) -> np.ndarray:
        texts = [getattr(record, name) or " " for record in records]  # an empty input: a blank
        return model.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)

    instruction, given, output = encode("instruction"), encode("input"), encode("output")

    def cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return (a * b).sum(axis=1, keepdims=True)

    empty_input = np.array([[not record.input.strip()] for record in records], dtype=float)
    lengths = np.log1p(
        [[len(record.instruction), len(record.input), len(record.output)] for record in records]
    )
    return np.hstack(
        [
            instruction,
            given,
            output,
            instruction * output,
            given * output,
            cosine(instruction, output),
            cosine(given, output),
            cosine(instruction, given),
            empty_input,
            lengths,
        ]
    )


def _structural_bad(rows: list[tuple[str, str, LabelledRecord]]) -> np.ndarray:
    return np.array([item.label == "bad" and item.kind != "wrong_content" for _, _, item in rows])


def _classifier() -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=4.0, max_iter=2000, class_weight="balanced")


def _report(title: str, rows: list[tuple[str, str, LabelledRecord]], probability: np.ndarray) -> None:
    bad, good = _structural_bad(rows), np.array([item.label == "good" for _, _, item in rows])
    ruled = np.array([check_structure(item.record, StructureConfig()) is not None for _, _, item in rows])
    languages = np.array([language for _, language, _ in rows])
    print(
        f"\n{title}\n\n| language | drop rule | recall | good records dropped |\n| --- | --- | ---: | ---: |"
    )
    for language in ("en", "zh"):
        mine = languages == language
        rules: list[tuple[str, np.ndarray]] = [("rules alone", ruled)]
        rules += [(f"rules or p >= {cutoff}", ruled | (probability >= cutoff)) for cutoff in CUTOFFS]
        for name, dropped in rules:
            recall = (dropped & bad & mine).sum() / max(1, (bad & mine).sum())
            false_drops = (dropped & good & mine).sum() / max(1, (good & mine).sum())
            print(f"| {language} | {name} | {100 * recall:.1f}% | {100 * false_drops:.1f}% |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--features", choices=("chars", "embeddings"), default="chars")
    featurize = _features if parser.parse_args().features == "chars" else _embedding_features
    training = _load(TRAINING)
    features, labels = featurize(training), _structural_bad(training)
    sets = np.array([name for name, _, _ in training])
    held_out = np.zeros(len(training))
    for name in TRAINING:
        mine = sets == name
        model = _classifier().fit(features[~mine], labels[~mine])
        held_out[mine] = model.predict_proba(features[mine])[:, 1]
    hand_written = sets != "generated"
    _report(
        "Leave-one-set-out over the training sets (hand-written ones)",
        [row for row, keep in zip(training, hand_written, strict=True) if keep],
        held_out[hand_written],
    )
    unseen = _load(("unseen",))
    model = _classifier().fit(features, labels)
    _report("`unseen` (trained on every training set)", unseen, model.predict_proba(featurize(unseen))[:, 1])


if __name__ == "__main__":
    main()
