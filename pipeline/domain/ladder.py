"""Base, domain-pretrained and pretrained + instruction-tuned models on the same held-out sets:
the corpus's held-out documents (domain perplexity), a general text (forgetting) and a dataset's
held-out records (instruction loss, prompts masked as in training).

Perplexity is per token of each model's own tokenizer, so a model with an extended vocabulary is
compared with the others through `nats_per_char` too (the loss of a held-out set spread over its
characters), which does not depend on how finely the text was cut."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.corpus.store import load_manifest
from pipeline.records import AlpacaRecord, Record
from pipeline.train.config import TrainConfig


@dataclass(frozen=True)
class Rung:
    name: str  # e.g. "base", "domain-pretrained", "pretrained + tuned"
    base_model: str
    adapter: Path | None = None


def _load(rung: Rung, threads: int | None) -> tuple[Any, Any]:
    from pipeline.evaluate.models import load_tuned
    from pipeline.train.base_model import configure_torch, load_causal_lm, load_tokenizer

    if rung.adapter is not None:
        tuned = load_tuned(rung.base_model, rung.adapter, threads)
        return tuned.model, tuned.tokenizer
    configure_torch(threads)
    model = load_causal_lm(rung.base_model)
    model.eval()
    return model, load_tokenizer(rung.base_model)


def _figures(model: Any, examples: Sequence[Any], pad_id: int, characters: int) -> dict[str, Any]:
    from pipeline.train.loop import mean_loss

    if not examples:
        return {"skipped": "no held-out block"}
    loss = mean_loss(model, examples, pad_id)
    tokens = sum(len(e.input_ids) for e in examples)
    return {
        "loss": round(loss, 4),
        "perplexity": round(math.exp(min(loss, 50.0)), 3),
        "tokens": tokens,
        "nats_per_char": round(loss * tokens / characters, 4) if characters else None,
    }


def _block_texts_chars(blocks: Any, tokenizer: Any) -> int:
    return sum(len(tokenizer.decode([int(t) for t in row], skip_special_tokens=True)) for row in blocks)


def score_rung(
    rung: Rung,
    corpus_dir: Path,
    work_dir: Path,
    *,
    general: Path | None,
    records: list[AlpacaRecord],
    train_config: TrainConfig,
    eval_blocks: int | None = 64,
) -> dict[str, Any]:
    """One model's figures on the three held-out sets."""
    from pipeline.pretrain.blocks import BlockExamples, corpus_blocks, spread, text_blocks
    from pipeline.train.base_model import pad_id_of
    from pipeline.train.data import tokenize_all

    model, tokenizer = _load(rung, train_config.torch_threads)
    pad_id = pad_id_of(tokenizer)
    manifest = load_manifest(corpus_dir)
    blocks = corpus_blocks(corpus_dir, manifest, tokenizer, work_dir)
    domain = spread(blocks.heldout, eval_blocks)
    row: dict[str, Any] = {
        "model": rung.name,
        "base_model": rung.base_model,
        "adapter": str(rung.adapter) if rung.adapter else None,
        "vocab_size": len(tokenizer),
        "domain": _figures(model, BlockExamples(domain), pad_id, _block_texts_chars(domain, tokenizer)),
    }
    if general is not None:
        text = spread(text_blocks(general, tokenizer, blocks.block_size), eval_blocks)
        row["general"] = _figures(model, BlockExamples(text), pad_id, _block_texts_chars(text, tokenizer))
    if records:
        scoring = train_config.model_copy(update={"train_on_inputs": False})
        as_records: list[Record] = list(records)
        examples = tokenize_all(as_records, tokenizer, scoring)
        row["instructions"] = _figures(model, examples, pad_id, sum(len(r.output) for r in records))
    return row


def ladder_markdown(rows: list[dict[str, Any]]) -> str:
    def cell(figures: dict[str, Any] | None) -> str:
        if not figures:
            return "–"
        if "skipped" in figures:
            return str(figures["skipped"])
        return f"{figures['perplexity']:.3f} ({figures['nats_per_char']} nats/char)"

    lines = [
        "| model | vocabulary | domain perplexity | general perplexity | instruction held-out perplexity |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['model']} | {row['vocab_size']:,} | {cell(row.get('domain'))} | "
            f"{cell(row.get('general'))} | {cell(row.get('instructions'))} |"
        )
    lines.append(
        "\nPerplexity is per token of the model's own tokenizer; nats per character compares "
        "models whose vocabularies differ."
    )
    return "\n".join(lines)


def write_ladder(rows: list[dict[str, Any]], out_dir: Path, title: str) -> str:
    """report.md and ladder.json in `out_dir`; returns the markdown."""
    from pipeline.io import write_atomic, write_json_atomic

    markdown = f"# {title}\n\n" + ladder_markdown(rows)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_atomic(out_dir / "report.md", markdown)
    write_json_atomic(out_dir / "ladder.json", rows)
    return markdown


def heldout_instructions(dataset: str | None) -> list[AlpacaRecord]:
    """The Alpaca records of a dataset version's held-out split (none without a dataset)."""
    if not dataset:
        return []
    from pipeline.dataset.versions import load_version, resolve_version

    _, _, heldout = load_version(resolve_version(dataset))
    return [r for r in heldout if isinstance(r, AlpacaRecord)]
