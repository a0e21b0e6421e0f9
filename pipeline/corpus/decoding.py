"""Bytes of a source file to clean text: binary detection, the encoding (UTF-8, UTF-8 with BOM,
UTF-16 with BOM, GB18030 as the fallback) and the control characters a corpus must not keep.

GB18030 maps almost every byte sequence to some character, so a file that is not UTF-8 is taken
as GB18030 only when the result looks like text: mostly Han, ASCII, CJK punctuation and
full-width forms, and few private-use or replacement characters. Anything else is an error
rather than mojibake in the corpus."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from pipeline.errors import SeedforgeError

SNIFF_BYTES = 8192  # binary detection looks at the start of a file, as `file` and git do
MAX_CONTROL_SHARE = 0.10  # share of C0 control bytes (other than whitespace) that means binary
MIN_PLAUSIBLE_SHARE = 0.90  # share of "ordinary" characters a GB18030 decoding must reach
ENCODINGS_TRIED = "tried utf-8, gb18030"

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: its BOM starts the same way
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_WHITESPACE_CONTROLS = frozenset(b"\t\n\r\f\v")
# kept: \n and \t; removed: other C0 controls, DEL, C1 controls, a stray BOM
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufeff]")
_NEWLINE = re.compile("\r\n?|[\u2028\u2029\x85]")
_PLAUSIBLE = re.compile(
    "[\t\n\r\x20-\x7e"
    "\u00a0-\u024f"  # Latin-1 and Latin Extended (names, accents)
    "\u2000-\u206f"  # general punctuation (quotes, dashes, ellipsis)
    "\u3000-\u303f"  # CJK punctuation
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uff00-\uffef]"  # full-width forms
)


def bom_encoding(head: bytes) -> str | None:
    """The encoding a byte-order mark at the start of `head` announces, else None."""
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    return None


def looks_binary(head: bytes) -> bool:
    """NUL bytes, or many other control bytes, in a file's first SNIFF_BYTES (no BOM)."""
    sample = head[:SNIFF_BYTES]
    if not sample:
        return False
    if b"\x00" in sample:
        return True
    controls = sum(1 for byte in sample if byte < 0x20 and byte not in _WHITESPACE_CONTROLS)
    return controls / len(sample) > MAX_CONTROL_SHARE


def plausible_text(text: str) -> bool:
    """Whether a GB18030 decoding reads as text rather than mojibake."""
    if not text:
        return True
    return len(_PLAUSIBLE.findall(text)) / len(text) >= MIN_PLAUSIBLE_SHARE


def check_not_binary(head: bytes, path: str | Path) -> None:
    if bom_encoding(head) is None and looks_binary(head):
        raise SeedforgeError("binary file, not text (NUL or control bytes near the start)", path=path)


def sniff_encoding(head: bytes, path: str | Path, *, complete: bool) -> str:
    """The encoding of a file whose first bytes are `head` (`complete`: head is the whole
    file). A BOM decides; else UTF-8 when the head decodes as UTF-8 (a character cut at the end
    of an incomplete head is fine), else GB18030 when its decoding is plausible text."""
    check_not_binary(head, path)
    announced = bom_encoding(head)
    if announced is not None:
        return announced
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=complete)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        decoded = codecs.getincrementaldecoder("gb18030")().decode(head, final=complete)
    except UnicodeDecodeError:
        decoded = None
    if decoded is not None and plausible_text(decoded):
        return "gb18030"
    raise SeedforgeError(f"cannot decode the file as text ({ENCODINGS_TRIED})", path=path)


def decode_bytes(data: bytes, path: str | Path) -> tuple[str, str]:
    """(text, encoding) of a whole file's bytes; text cleaned with `clean_text`."""
    encoding = sniff_encoding(data, path, complete=True)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:  # a BOM that lied
        raise SeedforgeError(f"cannot decode the file as {encoding}: {exc.reason}", path=path) from exc
    return clean_text(text), encoding


def clean_text(text: str) -> str:
    """Newlines as \\n; control characters other than \\n and \\t removed (a BOM included)."""
    return _CONTROL.sub("", _NEWLINE.sub("\n", text))
