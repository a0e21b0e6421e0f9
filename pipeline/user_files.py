"""Files a user names on a command line: input read as UTF-8 with an error at the line and byte
that is not, and outputs checked before any work (none of them an input, two the same file, a
folder, under a file, or in a folder that cannot be written; a folder to replace never the input,
the data dir or the current one)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

from pipeline.errors import SeedforgeError

_STRICT, _LAX = json.JSONDecoder(), json.JSONDecoder(strict=False)


def _too_deep(text: str, position: int) -> json.JSONDecodeError:
    return json.JSONDecodeError("nested too deeply (thousands of brackets): not a record", text, position)


def json_value(text: str, *, strict: bool = True) -> Any:
    """`json.loads` for a document a user gave: nesting too deep for the parser is a
    JSONDecodeError like any other malformed text, so it is reported at its file and line
    instead of escaping as a RecursionError."""
    try:
        if text.startswith("\ufeff"):  # json.loads names the byte-order mark in its error
            return json.loads(text, strict=strict)
        return (_STRICT if strict else _LAX).decode(text)  # a decoder built once, not per call
    except RecursionError:
        raise _too_deep(text, 0) from None


def json_raw_decode(decoder: json.JSONDecoder, text: str, position: int) -> tuple[Any, int]:
    """`decoder.raw_decode`, with nesting too deep a JSONDecodeError at `position` (`json_value`)."""
    try:
        return decoder.raw_decode(text, position)
    except RecursionError:
        raise _too_deep(text, position) from None


def _not_utf8(path: Path, exc: UnicodeDecodeError, line: int, column: int) -> SeedforgeError:
    return SeedforgeError(
        f"not UTF-8 text (byte {column} of the line is 0x{exc.object[exc.start]:02x}); a Latin-1 or "
        "GBK file must be converted first, e.g. iconv -f GBK -t UTF-8",
        path=path,
        line=line,
    )


def read_text_utf8(path: Path) -> str:
    """The whole file as text (a UTF-8 BOM dropped); text that is not UTF-8 is a SeedforgeError
    naming the line and byte, not a traceback."""
    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        raise _not_utf8(path, exc, data.count(b"\n", 0, exc.start) + 1, exc.start - line_start + 1) from None


def utf8_lines(handle: IO[bytes], path: Path) -> Iterator[tuple[int, str]]:
    """(line number, text) of a file opened in binary, decoded line by line (a BOM on the first
    dropped), so a byte that is not UTF-8 is reported at its line."""
    for number, raw in enumerate(handle, start=1):
        try:
            yield number, raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            raise _not_utf8(path, exc, number, exc.start + 1) from None


def check_output_files(outputs: dict[str, str | Path | None], inputs: dict[str, str | Path]) -> None:
    """Before any work: every output (option -> path) must be a file that can be written, no two
    outputs the same file, and none of them an input (an output named like its input is allowed
    only where the command says so, by leaving that input out of `inputs`)."""
    seen: dict[Path, str] = {}
    read = {Path(path).resolve(): option for option, path in inputs.items()}
    for option, path in outputs.items():
        if path is None:
            continue
        target = Path(path).resolve()
        if target in read:
            raise SeedforgeError(f"{option} is the {read[target]} file: it would be overwritten", path=path)
        if target in seen:
            raise SeedforgeError(f"{option} and {seen[target]} name the same file", path=path)
        seen[target] = option
        if target.is_dir():
            raise SeedforgeError(f"{option} is a folder, not a file", path=path)
        parent = next((p for p in target.parents if p.exists()), None)
        if parent is not None and not parent.is_dir():
            raise SeedforgeError(
                f"{option}: {parent} is a file, so no folder can be made under it", path=path
            )
        check_writable_beside(target, option, path)
        if target.is_file() and not os.access(target, os.W_OK):  # immutable: not even root replaces it
            raise SeedforgeError(f"{option}: cannot replace {target} (immutable or read-only)", path=path)


def check_writable_beside(target: Path, option: str, given: str | Path) -> None:
    """Outputs are written beside their target and renamed into place: the nearest folder that
    exists on the way must let this user create entries (root too: a read-only mount or an
    immutable folder refuses even root, and `access` says so)."""
    folder = next((p for p in Path(target).resolve().parents if p.exists()), None)
    if folder is not None and not folder.is_dir():
        raise SeedforgeError(f"{option}: {folder} is a file, so nothing can be made under it", path=given)
    if folder is not None and not os.access(folder, os.W_OK | os.X_OK):
        raise SeedforgeError(
            f"{option}: cannot write in {folder} (permission denied or read-only)", path=given
        )


def refuse_replacing(out: Path, keep: Iterable[Path], option: str = "--out") -> None:
    """A folder about to be replaced must not be, or hold, anything in `keep` (the input being
    read, the data dir, the current directory): `--overwrite` replaces a folder, not them."""
    target = out.resolve()
    for path in keep:
        kept = path.resolve()
        if kept == target or target in kept.parents:
            raise SeedforgeError(
                f"{option} {out} would replace {kept}, which it is or holds; choose a folder of its own",
                path=out,
            )


def check_output_folder(out: Path, option: str = "--out") -> None:
    """Before any work: a run's output folder must not be a file nor lie under one, and this user
    must be able to create entries in it (or, where it does not exist yet, in the nearest folder
    on the way): a training run found that out only when it saved, after its last step."""
    out = Path(out)
    nearest = next((p for p in (out, *out.resolve().parents) if p.exists()), None)
    if nearest is None:
        return
    if not nearest.is_dir():
        if nearest == out:
            raise SeedforgeError(f"{option} is a file; expected a directory", path=out)
        raise SeedforgeError(f"{option}: {nearest} is a file, so no folder can be made under it", path=out)
    if not os.access(nearest, os.W_OK | os.X_OK):
        raise SeedforgeError(
            f"{option}: cannot write in {nearest} (permission denied or read-only)", path=out
        )


@contextmanager
def output_folder_kept_only_if_used(out: Path) -> Iterator[None]:
    """A run that fails before writing anything leaves no empty output folder behind (a rerun or
    another --out is then not met by a stray folder); one that wrote anything keeps it."""
    fresh = not Path(out).exists()
    try:
        yield
    except BaseException:
        if fresh:
            with suppress(OSError):  # not empty (checkpoints, a staged adapter) or gone: keep
                Path(out).rmdir()
        raise
