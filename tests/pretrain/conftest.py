"""Corpus versions in the on-disk layout `seedforge corpus build` writes (manifest, documents and
packed blocks), made directly so the pretraining tests control every block, and one short
pretraining run of the tiny model shared by the tests that only read its outputs."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from pipeline.pretrain.config import PretrainConfig

SUBJECTS = ["The nurse", "A patient", "The doctor", "Each pharmacist", "The clinic"]
VERBS = ["checks", "records", "explains", "measures", "reviews"]
OBJECTS = ["the blood pressure", "the dose of metformin", "the fasting glucose", "the inhaler technique"]
ENDINGS = ["before breakfast.", "every morning.", "at each visit.", "after the meal."]


def domain_documents(count: int, seed: int) -> list[str]:
    """Short documents of a narrow 'clinic' language: a model can learn it in a few steps."""
    rng = random.Random(seed)
    return [
        " ".join(
            f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(ENDINGS)}"
            for _ in range(rng.randint(2, 4))
        )
        for _ in range(count)
    ]


def write_corpus(
    version_dir: Path,
    base_model: str,
    train: list[str],
    heldout: list[str],
    *,
    block_size: int = 32,
    name: str = "clinic",
) -> Path:
    from transformers import AutoTokenizer

    from pipeline.corpus.pack import BlockPacker, block_dtype, tokenizer_fingerprint

    tokenizer = AutoTokenizer.from_pretrained(base_model)
    dtype = block_dtype(len(tokenizer))
    version_dir.mkdir(parents=True)
    splits = {}
    for split, texts in (("train", train), ("heldout", heldout)):
        rows = [
            {"id": f"{split}{i}", "source": "t.txt", "language": "en", "text": t} for i, t in enumerate(texts)
        ]
        (version_dir / f"{split}.jsonl").write_text(
            "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8"
        )
        with BlockPacker(tokenizer, block_size, version_dir / f"{split}.bin", dtype) as packer:
            packer.add_all(texts)
        stats = packer.close()
        splits[split] = {
            "documents": len(texts),
            "tokens": stats.tokens,
            "blocks": stats.blocks,
            "characters": sum(map(len, texts)),
            "dropped_tail": stats.dropped_tail,
        }
    manifest = {
        "name": name,
        "version": int(version_dir.name[1:]),
        "created_at": "2026-12-01T00:00:00Z",
        "tokenizer": {
            "base_model": base_model,
            "fingerprint": tokenizer_fingerprint(tokenizer),
            "vocab_size": len(tokenizer),
        },
        "block_size": block_size,
        "dtype": dtype.name,
        "splits": splits,
    }
    (version_dir / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return version_dir


# a high learning rate: the tiny random model learns the clinic language within a few steps
FAST = PretrainConfig(
    epochs=2,
    learning_rate=1e-2,
    batch_size=4,
    micro_batch_size=2,
    warmup_steps=0,
    lora_dropout=0.1,
    eval_steps=4,
    save_steps=3,
    eval_blocks=8,
)


@pytest.fixture(scope="session")
def clinic_corpus(tiny_llama_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corpora") / "clinic" / "v1"
    return write_corpus(root, str(tiny_llama_dir), domain_documents(24, seed=1), domain_documents(8, seed=2))


@pytest.fixture(scope="session")
def general_text(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("general") / "general.txt"
    path.write_text(
        "Libraries lend books, music and films for free.\n\nA bicycle chain needs oil every few "
        "hundred kilometres, more often after rain.\n\nBread rises because yeast turns sugar into "
        "gas; the dough should double in size before it is baked.\n\n" * 2,
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="session")
def pretrained(tiny_llama_dir: Path, clinic_corpus: Path, general_text: Path, tmp_path_factory):
    from pipeline.pretrain.run import pretrain

    out = tmp_path_factory.mktemp("pretrain") / "out"
    config = FAST.model_copy(update={"base_model": str(tiny_llama_dir)})
    return pretrain(clinic_corpus, out, config, general=general_text), out
