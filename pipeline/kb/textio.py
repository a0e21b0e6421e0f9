"""Reading a knowledge-base file as text: UTF-8 (with or without BOM), else GBK/GB18030 for
Chinese exports; binary and undecodable files stop with an error naming file and line."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import SeedforgeError

# characters a correctly decoded Chinese file is made of, beyond ASCII
_CJK_TEXT = re.compile(
    r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
    r"\u2010-\u203f\u00b7\u00d7\u2460-\u24ff\u2160-\u217f]"
)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f]")


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str


def _line_of_offset(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _looks_binary(data: bytes) -> int | None:
    """Offset of the first NUL or a dense run of control bytes, else None."""
    head = data[:65536]
    nul = head.find(b"\x00")
    if nul >= 0:
        return nul
    controls = _CONTROL.findall(head.decode("latin-1"))
    return 0 if head and len(controls) > max(8, len(head) // 100) else None


def _looks_chinese(text: str) -> bool:
    """GB18030 decodes most byte soups; a real Chinese file is almost all CJK beyond ASCII."""
    wide = [c for c in text if ord(c) > 0x7F]
    if not wide:
        return True
    return sum(1 for c in wide if _CJK_TEXT.match(c)) >= 0.9 * len(wide)


def decode_bytes(data: bytes, path: Path, encoding: str | None = None) -> DecodedText:
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise SeedforgeError(f"unknown encoding {encoding!r} in the mapping", path=path) from None
        try:
            return DecodedText(data.decode(encoding), encoding)
        except UnicodeDecodeError as exc:
            raise SeedforgeError(
                f"not valid {encoding} at byte {exc.start}", path=path, line=_line_of_offset(data, exc.start)
            ) from None
    if data.startswith(codecs.BOM_UTF8):
        try:
            return DecodedText(data[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig")
        except UnicodeDecodeError as exc:
            offset = exc.start + len(codecs.BOM_UTF8)
            raise SeedforgeError(
                "starts with a UTF-8 BOM but is not valid UTF-8",
                path=path,
                line=_line_of_offset(data, offset),
            ) from None
    try:
        return DecodedText(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as exc:
        utf8_error = exc.start
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        text = None
    if text is not None and _looks_chinese(text):
        return DecodedText(text, "gb18030")
    raise SeedforgeError(
        f"cannot decode: not UTF-8 (first bad byte {utf8_error}) and not GBK/GB18030 Chinese text;"
        " set `encoding:` in a mapping file (--mapping)",
        path=path,
        line=_line_of_offset(data, utf8_error),
    )


def read_kb_text(path: Path, encoding: str | None = None) -> DecodedText:
    """The file's text; raises SeedforgeError for a missing, empty, binary or undecodable file."""
    if not path.exists():
        raise SeedforgeError("file not found", path=path)
    if not path.is_file():
        raise SeedforgeError("not a regular file", path=path)
    data = path.read_bytes()
    offset = _looks_binary(data)
    if offset is not None:
        raise SeedforgeError(
            "binary file, not a text knowledge base", path=path, line=_line_of_offset(data, offset)
        )
    decoded = decode_bytes(data, path, encoding)
    if not decoded.text.strip():
        raise SeedforgeError("empty file: no entries", path=path)
    return decoded
