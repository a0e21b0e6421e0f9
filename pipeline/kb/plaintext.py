"""Plain text: paragraphs packed into chunks within a token budget; one entry per chunk."""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.errors import SeedforgeError
from pipeline.kb.rows import TITLE_FIELD, RawRow, RawTable
from pipeline.text import tokenize

TEXT_FIELD = "text"
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s*")
_TITLE_CHARS = 80


def _paragraphs(text: str) -> list[tuple[int, str]]:
    """(start line, paragraph) for each run of non-blank lines."""
    out: list[tuple[int, str]] = []
    start, buffer = 0, list[str]()
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            if not buffer:
                start = number
            buffer.append(line.strip())
        elif buffer:
            out.append((start, " ".join(buffer)))
            buffer = []
    if buffer:
        out.append((start, " ".join(buffer)))
    return out


def _pieces(paragraph: str, budget: int) -> list[str]:
    """A paragraph over the budget is cut at sentence ends, a sentence over it at words, and a
    word over it (a run of Chinese characters without a space) at characters."""
    if len(tokenize(paragraph)) <= budget:
        return [paragraph]
    pieces: list[str] = []
    for sentence in (s for s in _SENTENCE_END.split(paragraph) if s.strip()):
        pieces.extend(_fit_words(sentence, budget))
    return pieces


def _fit_words(sentence: str, budget: int) -> list[str]:
    """Words packed greedily into pieces of at most `budget` tokens, each word counted once (the
    cut that started at half the words and only moved on halved an oversized sentence instead)."""
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for word in sentence.split():
        count = len(tokenize(word))
        if count > budget:
            pieces.extend([" ".join(current)] if current else [])
            current, size = [], 0
            pieces.extend(_fit_characters(word, budget))
            continue
        if current and size + count > budget:
            pieces.append(" ".join(current))
            current, size = [], 0
        current.append(word)
        size += count
    if current:
        pieces.append(" ".join(current))
    return pieces


def _fit_characters(word: str, budget: int) -> list[str]:
    """A word over the budget in runs of `budget` characters: no run holds more tokens than
    characters."""
    return [word[i : i + budget] for i in range(0, len(word), budget)]


def _title(chunk: str) -> str:
    first = _SENTENCE_END.split(chunk.strip(), maxsplit=1)[0]
    return first if len(first) <= _TITLE_CHARS else first[: _TITLE_CHARS - 1].rstrip() + "…"


def chunk_text(text: str, budget: int) -> list[tuple[int, str]]:
    chunks: list[tuple[int, str]] = []
    current: list[str] = []
    size, start = 0, 1
    for line, paragraph in _paragraphs(text):
        for piece in _pieces(paragraph, budget):
            tokens = len(tokenize(piece))
            if current and size + tokens > budget:
                chunks.append((start, "\n\n".join(current)))
                current, size = [], 0
            if not current:
                start = line
            current.append(piece)
            size += tokens
    if current:
        chunks.append((start, "\n\n".join(current)))
    return chunks


def load_plain_text(text: str, path: Path, budget: int) -> RawTable:
    chunks = chunk_text(text, budget)
    if not chunks:
        raise SeedforgeError("empty file: no paragraphs", path=path)
    rows = [RawRow(line, {TITLE_FIELD: _title(chunk), TEXT_FIELD: chunk}) for line, chunk in chunks]
    return RawTable([TITLE_FIELD, TEXT_FIELD], rows, default_name=TITLE_FIELD, unique_names=False)
