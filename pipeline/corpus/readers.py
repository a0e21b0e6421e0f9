"""Raw source files to `Document`s, streaming: files and directories (recursive, sorted by name,
hidden files and folders skipped), one file in memory at a time and a JSONL file line by line.

| suffix | documents |
| --- | --- |
| .txt .text | one per file |
| .md .markdown | one per file, markup stripped (`markup.markdown_to_text`) |
| .html .htm | one per file, visible prose (`markup.html_to_text`) |
| .jsonl | one per non-blank line, the string field `text_field` of a JSON object; source `path#LINE` |
| .pdf | one per page with text (pypdf's text layer); source `path#PAGE` |

Encodings and binary files: `decoding`. A file of an unknown type inside a directory is skipped
and counted in `ReadStats`; one named explicitly is an error, as is a path that does not exist."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from pipeline.corpus.decoding import SNIFF_BYTES, check_not_binary, clean_text, decode_bytes, sniff_encoding
from pipeline.corpus.documents import Document
from pipeline.corpus.markup import html_to_text, markdown_to_text
from pipeline.errors import SeedforgeError
from pipeline.user_files import json_value

log = logging.getLogger(__name__)

TEXT_SUFFIXES = frozenset({".txt", ".text"})
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
JSONL_SUFFIXES = frozenset({".jsonl"})
PDF_SUFFIXES = frozenset({".pdf"})
SUFFIXES = TEXT_SUFFIXES | MARKDOWN_SUFFIXES | HTML_SUFFIXES | JSONL_SUFFIXES | PDF_SUFFIXES
JSONL_SNIFF_BYTES = 1 << 16  # a JSONL file's encoding is decided on its first 64 KiB
MAX_SKIPPED_EXAMPLES = 20
_HASH_CHUNK = 1 << 20


@dataclass(slots=True)
class SourceFile:
    """A file read, as a corpus manifest lists it."""

    path: str
    sha256: str
    bytes: int


@dataclass(slots=True)
class ReadStats:
    """What `iter_documents` read and skipped; filled in as the documents stream out (complete
    once the iterator is exhausted)."""

    files: int = 0
    bytes: int = 0
    documents: int = 0
    sources: list[SourceFile] = field(default_factory=list)
    encodings: Counter[str] = field(default_factory=Counter)  # files per encoding ("pdf" for PDFs)
    skipped: int = 0  # files of an unknown type inside a directory
    skipped_suffixes: Counter[str] = field(default_factory=Counter)
    skipped_examples: list[str] = field(default_factory=list)  # the first MAX_SKIPPED_EXAMPLES
    hidden: int = 0  # hidden files and folders inside a directory, not read


def document_id(source_path: str, index: int) -> str:
    """16 hex of sha256 over a file's path and the document's index within it: stable across runs."""
    return hashlib.sha256(f"{source_path}\x00{index}".encode()).hexdigest()[:16]


def iter_documents(
    paths: Sequence[str | Path], *, text_field: str = "text", stats: ReadStats | None = None
) -> Iterator[Document]:
    """The documents of `paths` (files or directories) in order. `stats`, when given, is filled
    in as they stream. Raises SeedforgeError naming the file (and line) for a missing path, an
    unknown type named explicitly, a binary or undecodable file, a bad JSONL line, a PDF
    without text."""
    stats = stats if stats is not None else ReadStats()
    for path in iter_source_files(paths, stats):
        stats.files += 1
        for document in _read_file(path, text_field, stats):
            stats.documents += 1
            yield document


def check_inputs(paths: Sequence[str | Path]) -> None:
    """What can be told of `paths` without reading them (none given, a path missing, a file of
    an unknown type), so a build says it before any costly work."""
    if not paths:
        raise SeedforgeError("no input paths given: name files or directories of documents")
    for given in paths:
        path = Path(given)
        if path.is_dir():
            continue
        if not path.is_file():
            raise SeedforgeError("no such file or directory", path=path)
        if path.suffix.lower() not in SUFFIXES:
            raise SeedforgeError(
                f"unknown document type {path.suffix or '(no suffix)'!r}: expected one of "
                + ", ".join(sorted(SUFFIXES)),
                path=path,
            )


def iter_source_files(paths: Sequence[str | Path], stats: ReadStats | None = None) -> Iterator[Path]:
    """The readable files of `paths`: explicit files as given, directories walked in name order."""
    stats = stats if stats is not None else ReadStats()
    check_inputs(paths)
    for given in paths:
        path = Path(given)
        yield from _walk(path, stats, set()) if path.is_dir() else (path,)


def _walk(directory: Path, stats: ReadStats, seen: set[str]) -> Iterator[Path]:
    real = os.path.realpath(directory)
    if real in seen:  # a symlink loop
        return
    seen.add(real)
    with os.scandir(directory) as scan:
        entries = sorted(scan, key=lambda entry: entry.name)
    for entry in entries:
        path = directory / entry.name
        if entry.name.startswith("."):
            stats.hidden += 1
        elif entry.is_dir():
            yield from _walk(path, stats, seen)
        elif path.suffix.lower() in SUFFIXES:
            yield path
        else:
            stats.skipped += 1
            stats.skipped_suffixes[path.suffix.lower() or "(none)"] += 1
            if len(stats.skipped_examples) < MAX_SKIPPED_EXAMPLES:
                stats.skipped_examples.append(str(path))


def _read_file(path: Path, text_field: str, stats: ReadStats) -> Iterator[Document]:
    suffix = path.suffix.lower()
    if suffix in JSONL_SUFFIXES:
        yield from _read_jsonl(path, text_field, stats)
    elif suffix in PDF_SUFFIXES:
        yield from _read_pdf(path, stats)
    else:
        data = _read_bytes(path)
        stats.sources.append(SourceFile(str(path), hashlib.sha256(data).hexdigest(), len(data)))
        stats.bytes += len(data)
        text, encoding = decode_bytes(data, path)
        stats.encodings[encoding] += 1
        if suffix in MARKDOWN_SUFFIXES:
            text = markdown_to_text(text)
        elif suffix in HTML_SUFFIXES:
            text = html_to_text(text)
        yield Document(document_id(str(path), 0), str(path), text)


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SeedforgeError(f"cannot read the file: {exc.strerror}", path=path) from exc


def _record_source(path: Path, stats: ReadStats) -> None:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    stats.sources.append(SourceFile(str(path), digest.hexdigest(), size))
    stats.bytes += size


def _read_jsonl(path: Path, text_field: str, stats: ReadStats) -> Iterator[Document]:
    _record_source(path, stats)
    with path.open("rb") as handle:
        head = handle.read(JSONL_SNIFF_BYTES)
        encoding = sniff_encoding(head, path, complete=len(head) < JSONL_SNIFF_BYTES)
        stats.encodings[encoding] += 1
        handle.seek(0)
        for number, line in _jsonl_lines(handle, encoding, path):
            if not line.strip():
                continue
            source = f"{path}#{number}"
            yield Document(
                document_id(str(path), number), source, _jsonl_text(line, text_field, path, number)
            )


def _jsonl_lines(handle: IO[bytes], encoding: str, path: Path) -> Iterator[tuple[int, str]]:
    if encoding.startswith("utf-16") or encoding.startswith("utf-32"):
        # a UTF-16 newline is two bytes: let the codec split the lines
        with io.TextIOWrapper(handle, encoding=encoding, newline="") as text:
            try:
                yield from enumerate(text, start=1)
            except UnicodeDecodeError as exc:
                raise SeedforgeError(
                    f"cannot decode the file as {encoding}: {exc.reason}", path=path
                ) from exc
        return
    # UTF-8 and GB18030 never use byte 0x0A inside a character: split the bytes, decode each line
    for number, raw in enumerate(handle, start=1):
        if number == 1:
            check_not_binary(raw[:SNIFF_BYTES], path)
        try:
            yield number, raw.decode(encoding)
        except UnicodeDecodeError as exc:
            raise SeedforgeError(
                f"cannot decode the line as {encoding} (the encoding of the file's start)",
                path=path,
                line=number,
            ) from exc


def _jsonl_text(line: str, text_field: str, path: Path, number: int) -> str:
    try:
        record = json_value(line.rstrip("\r\n"))  # a column in this line, not the next
    except json.JSONDecodeError as exc:
        raise SeedforgeError(
            f"not valid JSON: {exc.msg} (column {exc.colno})", path=path, line=number
        ) from exc
    if not isinstance(record, dict):
        raise SeedforgeError(f"expected a JSON object with a {text_field!r} field", path=path, line=number)
    value = record.get(text_field)
    if not isinstance(value, str):
        found = (
            "missing"
            if text_field not in record
            else "null"
            if value is None
            else f"a {type(value).__name__}"
        )
        raise SeedforgeError(f"field {text_field!r} is {found}, expected a string", path=path, line=number)
    return clean_text(value)


class _Collected(logging.Handler):
    def __init__(self, messages: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.messages = messages

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message not in self.messages:
            self.messages.append(message)


@contextmanager
def _pypdf_log_into(messages: list[str]) -> Iterator[None]:
    """pypdf's warnings about a damaged file ("EOF marker not found", "incorrect startxref
    pointer") into `messages`, not raw on the terminal: seedforge says it once, with the file."""
    logger, handler = logging.getLogger("pypdf"), _Collected(messages)
    propagate, logger.propagate = logger.propagate, False
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def _read_pdf(path: Path, stats: ReadStats) -> Iterator[Document]:
    from pypdf import PdfReader  # only corpora with PDFs pay its import
    from pypdf.errors import PyPdfError

    _record_source(path, stats)
    stats.encodings["pdf"] += 1
    with path.open("rb") as handle:
        if not handle.read(1024).lstrip().startswith(b"%PDF-"):
            raise SeedforgeError("not a PDF file (no %PDF- header)", path=path)
    found = False
    damage: list[str] = []  # what pypdf repaired, or could not
    try:
        with _pypdf_log_into(damage):
            reader = PdfReader(path)
            if reader.is_encrypted and not reader.decrypt(""):
                raise SeedforgeError("PDF is encrypted with a password", path=path)
            count = len(reader.pages)
        for number in range(1, count + 1):
            with _pypdf_log_into(damage):  # not around the yield: only pypdf's own records
                text = clean_text(reader.pages[number - 1].extract_text() or "")
            if text.strip():
                found = True
                yield Document(document_id(str(path), number), f"{path}#{number}", text)
    except (PyPdfError, ValueError, KeyError, TypeError) as exc:
        damaged = f" (damaged: {'; '.join(damage)})" if damage else ""
        raise SeedforgeError(f"cannot read the PDF{damaged}: {exc}", path=path) from exc
    if damage:
        log.warning("%s: damaged PDF, read as pypdf repaired it (%s)", path, "; ".join(damage))
    if not found:
        raise SeedforgeError("PDF has no text layer (scanned?): no page has extractable text", path=path)
