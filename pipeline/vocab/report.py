"""OUT/report.md: the extension in a few lines a person reads."""

from __future__ import annotations

from pipeline.vocab.info import VocabInfo
from pipeline.vocab.measure import Density


def _row(name: str, density: Density) -> str:
    if density.before is None or density.after is None or density.reduction is None:
        return f"| {name} | – | – | – | 0 |"
    return (
        f"| {name} | {density.before:,.1f} | {density.after:,.1f} | "
        f"{density.reduction:.1%} | {density.documents:,} docs, {density.characters:,} chars |"
    )


def report_markdown(info: VocabInfo, examples: list[str]) -> str:
    lines = [
        f"# Extended vocabulary: {info.corpus.name} v{info.corpus.version}",
        "",
        f"- base model: `{info.base_model}` (tokenizer {info.base_fingerprint})",
        f"- added tokens: {info.added:,} ({info.merges_added:,} merges), min frequency {info.min_frequency}",
        f"- vocabulary: {info.old_vocab_size:,} → {info.new_vocab_size:,} "
        f"(embedding rows {info.embedding_rows:,}, {'tied' if info.tied_embeddings else 'untied'} output)",
        f"- new tokenizer: {info.fingerprint}; {info.seconds:.1f} s",
        "",
        "## Tokens per 1,000 characters of held-out text",
        "",
        "| text | before | after | reduction | measured on |",
        "| --- | ---: | ---: | ---: | --- |",
        _row("Chinese documents", info.tokens_per_1000_chars),
        _row("all documents", info.tokens_per_1000_chars_all),
        "",
        "## First new tokens",
        "",
        " ".join(f"`{text}`" for text in examples) or "(none)",
        "",
        "## Method",
        "",
        info.method + ".",
        "",
    ]
    return "\n".join(lines)
