"""Files out. Crash-safe output: a file or directory is written aside, then renamed into
place, so a reader sees the old content or the new, never a half-written one (YAML input is
`pipeline.yaml_input`). Temporary files and directories are created beside their target (a rename
never crosses file systems) with the modes a plain `open`/`mkdir` would give them (0o666 / 0o777
less the umask), not the owner-only modes of `tempfile`."""

from __future__ import annotations

import json
import os
import secrets
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, TypeVar

from pydantic import BaseModel

from pipeline.errors import SeedforgeError
from pipeline.leftovers import HOST, sweep_leftovers
from pipeline.settings import data_dir

ModelT = TypeVar("ModelT", bound=BaseModel)

_FILE_MODE = 0o666  # less the umask, applied by the kernel
_DIR_MODE = 0o777

# json.dumps(item, ensure_ascii=False) builds a new encoder on every call, which cost a third
# of writing a record; this one is built once and writes the same text. No circular-reference
# check: what is written came from JSON or from models, never a cycle.
_ENCODE = (
    json.encoder.c_make_encoder(  # type: ignore[attr-defined]  # the C accelerator, not typed
        None, json.JSONEncoder().default, json.encoder.encode_basestring, None, ": ", ", ", False, False, True
    )
    if json.encoder.c_make_encoder is not None  # type: ignore[attr-defined]
    else None
)


def json_text(item: Any) -> str:
    """`json.dumps(item, ensure_ascii=False)`, the same text, faster when written by the million."""
    if _ENCODE is None:
        return json.dumps(item, ensure_ascii=False)
    return "".join(_ENCODE(item, 0))


def _temp_name(target: Path, kind: str) -> Path:
    """A hidden name beside `target`: `.tmp-NAME-RANDOM-PID@HOST` (a file being written),
    `.staging-` (a folder being filled), `.old-` (one being replaced); `sweep_leftovers` reads it."""
    return target.with_name(f".{kind}-{target.name}-{secrets.token_hex(6)}-{os.getpid()}@{HOST}")


def through_link(target: Path) -> Path:
    """Where a write to `target` lands: a symbolic link is followed (to its end, relative or
    not), so that the file or folder it names is replaced and the link stays a link."""
    return target.resolve() if target.is_symlink() else target


def _open_temp(target: Path, binary: bool) -> tuple[IO[Any], Path]:
    """A new, unique, empty file beside `target` (parents created), open for writing; `target`
    is already `through_link`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    sweep_leftovers(target)
    while True:
        temp = _temp_name(target, "tmp")
        try:
            descriptor = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _FILE_MODE)
            break
        except FileExistsError:
            continue
    if binary:
        return os.fdopen(descriptor, "wb"), temp
    return os.fdopen(descriptor, "w", encoding="utf-8"), temp


class AtomicFiles:
    """Several outputs replaced together: `open` each (a temporary file beside its target),
    write, then `commit` renames them all into place, fsynced. Leaving the block without
    `commit` (an error, or an early return) removes the temporary files and leaves the targets
    as they were."""

    def __init__(self) -> None:
        self._pending: list[tuple[IO[Any], Path, Path]] = []

    def open(self, target: str | Path, *, binary: bool = False) -> IO[Any]:
        real = through_link(Path(target))
        handle, temp = _open_temp(real, binary)
        self._pending.append((handle, temp, real))
        return handle

    def commit(self) -> None:
        for handle, _, _ in self._pending:
            if not handle.closed:
                handle.flush()
                os.fsync(handle.fileno())
                handle.close()
        for _, temp, target in self._pending:
            os.replace(temp, target)
        self._pending = []

    def discard(self) -> None:
        for handle, temp, _ in self._pending:
            handle.close()
            temp.unlink(missing_ok=True)
        self._pending = []

    def __enter__(self) -> AtomicFiles:
        return self

    def __exit__(self, *exc: object) -> None:
        self.discard()


@contextmanager
def atomic_writer(path: Path, *, binary: bool = False) -> Iterator[IO[Any]]:
    """Write `path` through the yielded handle: the content replaces `path` (fsynced) only when
    the block ends normally; on any exception the temporary file is removed and `path` is left
    as it was. Parent directories are created."""
    with AtomicFiles() as files:
        yield files.open(path, binary=binary)
        files.commit()


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary file beside `path` for a writer that wants a name: renamed onto it at the end."""
    path = through_link(Path(path))
    handle, temp = _open_temp(path, binary=True)
    handle.close()
    try:
        yield temp
        with open(temp, "rb+") as written:
            os.fsync(written.fileno())
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def write_atomic(path: Path, data: bytes | str) -> None:
    """Replace `path` with `data` (str is written as UTF-8), all or nothing."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_writer(path, binary=True) as handle:
        handle.write(payload)


def write_lines_atomic(path: Path, lines: Iterable[str]) -> None:
    """Replace `path` with `lines`, each followed by a newline, all or nothing; `lines` may be a
    generator: it is consumed while writing, and an exception from it leaves `path` unchanged."""
    with atomic_writer(path) as handle:
        for line in lines:
            handle.write(line)
            handle.write("\n")


def write_json_atomic(path: Path, data: Any, indent: int | None = 2) -> None:
    """Replace `path` with `data` as JSON (UTF-8, non-ASCII kept), all or nothing."""
    write_atomic(path, json.dumps(data, ensure_ascii=False, indent=indent))


def write_jsonl_atomic(path: Path, rows: Iterable[Any]) -> None:
    """Replace `path` with one JSON document per line (UTF-8, non-ASCII kept), all or nothing."""
    write_lines_atomic(path, (json_text(row) for row in rows))


# how a command writes records, chosen by the output's extension (every command alike)
RECORD_FORMATS = {".json": "a JSON list", ".jsonl": "JSON lines (one record per line)"}


def record_format(path: str | Path) -> str:
    """`json` or `jsonl` from the file's extension; SeedforgeError for any other, before any work."""
    if Path(str(path).strip()).name in ("", ".", ".."):  # typer reads --out '' as "."
        raise SeedforgeError(f"{str(path)!r} is no file name: give a .json or .jsonl file for the records")
    suffix = Path(path).suffix.lower()
    if suffix not in RECORD_FORMATS:
        known = "; ".join(f"{ext}: {what}" for ext, what in RECORD_FORMATS.items())
        hint = " (Parquet and other formats: `seedforge export`)" if suffix == ".parquet" else ""
        given = f"not {suffix}" if suffix else "this name has no extension"
        raise SeedforgeError(f"records are written as {known}; {given}{hint}", path=path)
    return suffix[1:]


def sidecar(out: str | Path, suffix: str) -> Path:
    """A file written beside the output OUT (`suffix`: `report.json`, `rejected.jsonl`, ...),
    named so that two outputs never share one: x.jsonl's is x.report.json (OUT's stem, the usual
    name), any other output's is named from it whole, x.json's x.json.report.json (x.json and
    x.jsonl wrote the same x.report.json). An output whose stem ends in a records extension
    (a.json.jsonl) is named whole too, or it would share a.json's."""
    out = Path(out)
    stem_named = out.suffix == ".jsonl" and Path(out.stem).suffix.lower() not in RECORD_FORMATS
    return out.with_name(f"{out.stem if stem_named else out.name}.{suffix}")


class RecordWriter:
    """Records streamed to an open handle in the format `record_format(target)` names: JSON
    lines, or one JSON list (written as it streams, so nothing is held in memory)."""

    def __init__(self, handle: IO[str], target: str | Path):
        self.handle, self.jsonl, self.count = handle, record_format(target) == "jsonl", 0
        if not self.jsonl:
            handle.write("[")

    def write(self, item: Any) -> None:
        text = json_text(item)
        if self.jsonl:
            self.handle.write(text + "\n")
        else:
            self.handle.write(("\n" if self.count == 0 else ",\n") + text)
        self.count += 1

    def close(self) -> None:
        if not self.jsonl:
            self.handle.write("\n]\n" if self.count else "]\n")


def write_records_atomic(path: Path, rows: Iterable[Any]) -> int:
    """Replace `path` with `rows` in the format its extension names, all or nothing; the count."""
    record_format(path)
    with atomic_writer(path) as handle:
        writer = RecordWriter(handle, path)
        for row in rows:
            writer.write(row)
        writer.close()
    return writer.count


def make_staging_dir(final: Path) -> Path:
    """A new, empty directory beside `final` (parents created), to fill and then `publish_dir`."""
    final = through_link(Path(final))
    final.parent.mkdir(parents=True, exist_ok=True)
    sweep_leftovers(final)
    while True:
        staging = _temp_name(final, "staging")
        try:
            staging.mkdir(_DIR_MODE)
            return staging
        except FileExistsError:
            continue


@contextmanager
def staging_dir(final: Path) -> Iterator[Path]:
    """`make_staging_dir(final)`, removed when the block ends unless it was published."""
    staging = make_staging_dir(final)
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _plain_file_modes(staging: Path) -> None:
    """Files a library wrote owner-only (safetensors writes weights through a temporary file:
    0600) get the mode a plain `open` gives, as every other output has: a worker or a llama.cpp
    server running as another user must read them. The folder was made with the umask's mode,
    so its own mode says what that is."""
    mode = staging.stat().st_mode & _FILE_MODE
    if mode == 0o600:
        return
    for path in staging.rglob("*"):
        if path.is_file() and not path.is_symlink() and path.stat().st_mode & 0o777 == 0o600:
            path.chmod(mode)


def publish_dir(staging: Path, final: Path, *, replace: bool = True) -> None:
    """Move the fully written directory `staging` to `final` by rename (same file system).

    replace=True: an existing `final` is renamed aside first and deleted once `staging` is in
    place; if that rename fails the old directory is put back. replace=False: a non-empty `final`
    makes the rename fail with OSError (how concurrent writers claim a name: the loser sees it)."""
    staging, final = Path(staging), through_link(Path(final))
    _plain_file_modes(staging)
    if not replace or not final.exists():
        os.rename(staging, final)
        return
    old = _temp_name(final, "old")
    os.rename(final, old)
    try:
        os.rename(staging, final)
    except BaseException:
        os.rename(old, final)
        raise
    shutil.rmtree(old, ignore_errors=True)


def run_dir(build: str) -> Path:
    """DATA_DIR/runs/BUILD, created: the working files of one build or training run."""
    path = run_path(build)
    path.mkdir(parents=True, exist_ok=True)
    return path


def run_path(build: str) -> Path:
    """DATA_DIR/runs/BUILD, not created: for a file written only if the run gets that far."""
    return data_dir() / "runs" / build
