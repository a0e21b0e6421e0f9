"""The records a corpus build passes along: a document read from a source file, a document the
build dropped (with the rule and evidence why), and a span (a line or paragraph) it removed from
a kept document. Plain slotted dataclasses: millions of them stream through a build."""

from __future__ import annotations

from dataclasses import dataclass

TEXT_HEAD_CHARS = 200  # DroppedDocument.text_head
SPAN_TEXT_CHARS = 300  # RemovedSpan.text


@dataclass(slots=True)
class Document:
    """One document. `id`: 16 hex of sha256 over the source path and the index within its file
    (stable across runs); `source`: the path as given, plus "#N" for JSONL line N or a PDF."""

    id: str
    source: str
    text: str
    language: str | None = None


@dataclass(slots=True)
class DroppedDocument:
    """A document the build left out: the rule that fired, short evidence ("mean word length
    1.8 < 3") and the first TEXT_HEAD_CHARS characters, so a reader can judge the rule."""

    id: str
    source: str
    rule: str
    evidence: str
    text_head: str


@dataclass(slots=True)
class RemovedSpan:
    """A line or paragraph removed from a kept document (boilerplate, a repeated paragraph):
    the rule, evidence, and the removed text cut to SPAN_TEXT_CHARS characters."""

    id: str
    source: str
    rule: str
    evidence: str
    text: str
