"""Where corpus versions live and how they are read back.

DATA_DIR/corpora/NAME/vN/ holds manifest.json, train.jsonl / heldout.jsonl (the kept, cleaned
documents), train.bin / heldout.bin (flat token ids, `blocks * block_size` long), dropped.jsonl,
removed.jsonl and report.json / report.md. A version is written in a staging directory and renamed
into place, so a directory named vN is always complete."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import ConfigDict, ValidationError

from pipeline.errors import SeedforgeError
from pipeline.settings import StrictModel, data_dir

if TYPE_CHECKING:
    from pipeline.corpus.config import CorpusConfig

MANIFEST = "manifest.json"
Split = Literal["train", "heldout"]
SPLITS: tuple[Split, Split] = ("train", "heldout")


class _Open(StrictModel):
    # a manifest written by a later seedforge may carry more fields: read it, do not refuse it
    model_config = ConfigDict(extra="allow")


class SourceFile(_Open):
    path: str
    sha256: str
    bytes: int


class TokenizerInfo(_Open):
    base_model: str
    fingerprint: str
    vocab_size: int


class SplitStats(_Open):
    documents: int = 0
    tokens: int = 0  # every token of the split's documents, EOS included
    blocks: int = 0
    characters: int = 0
    dropped_tail: int = 0  # tokens of the last partial block, not in the .bin file


class CorpusManifest(_Open):
    name: str
    version: int
    created_at: str
    sources: list[SourceFile] = []
    config: dict[str, Any] = {}
    tokenizer: TokenizerInfo
    block_size: int
    dtype: Literal["uint16", "uint32"]
    splits: dict[str, SplitStats]
    languages: dict[str, int] = {}
    counts: dict[str, int] = {}


def corpora_root() -> Path:
    return data_dir() / "corpora"


def version_dirs(name: str, root: Path | None = None) -> list[Path]:
    """Published versions of corpus `name`, oldest first (staging directories are hidden)."""
    parent = (root or corpora_root()) / name
    found = [p for p in parent.glob("v[0-9]*") if p.name[1:].isdigit() and (p / MANIFEST).is_file()]
    return sorted(found, key=lambda p: int(p.name[1:]))


def next_version(name: str, root: Path | None = None) -> int:
    parent = (root or corpora_root()) / name
    numbers = [int(p.name[1:]) for p in parent.glob("v[0-9]*") if p.name[1:].isdigit()]
    return max(numbers, default=0) + 1


def check_name(name: str) -> str:
    """A corpus name is one folder name: letters, digits, '-', '_', '.'; not starting with '.'."""
    if not name or name.startswith(".") or not all(c.isalnum() or c in "-_." for c in name):
        raise SeedforgeError(
            f"corpus name {name!r}: use letters, digits, '-', '_' or '.' (not starting with '.')"
        )
    return name


def resolve_corpus(spec: str | Path) -> Path:
    """A version directory: as given (a folder holding manifest.json), or by name: "NAME" (its
    latest version) or "NAME@vN" under DATA_DIR/corpora."""
    path = Path(spec)
    if (path / MANIFEST).is_file():
        return path
    text = str(spec)
    name, at, number = text.partition("@")
    if "/" in text or "\\" in text or not name:
        raise SeedforgeError("not a corpus version (no manifest.json)", path=path)
    root = corpora_root()
    versions = version_dirs(name, root)
    if not versions:
        raise SeedforgeError(
            f"no corpus named {name!r} under {root} (build one with `seedforge corpus build`)"
        )
    if not at:
        return versions[-1]
    digits = number.removeprefix("v")
    if not digits.isdigit():
        raise SeedforgeError(f"{text}: expected NAME@vN, e.g. {name}@v1")
    for candidate in versions:
        if int(candidate.name[1:]) == int(digits):
            return candidate
    known = ", ".join(p.name for p in versions)
    raise SeedforgeError(f"corpus {name!r} has no version v{int(digits)} (its versions: {known})")


def load_manifest(path: Path) -> CorpusManifest:
    file = Path(path) / MANIFEST
    try:
        raw = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SeedforgeError("not a corpus version (no manifest.json)", path=path) from None
    except ValueError as exc:
        raise SeedforgeError(f"unreadable corpus manifest: {exc}", path=file) from None
    if isinstance(raw, dict) and "dataset" in raw and "splits" not in raw:
        raise SeedforgeError(
            "a dataset version, not a corpus version: this command reads a pretraining corpus "
            "(`seedforge corpus build`); dataset versions go to `seedforge train` and `export`",
            path=path,
        )
    try:
        return CorpusManifest.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the manifest"
        raise SeedforgeError(
            f"unreadable corpus manifest: {where}: {first['msg']} ({exc.error_count()} problem(s))", path=file
        ) from None


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise SeedforgeError(f"unknown corpus split {split!r}: expected train or heldout")


def iter_texts(path: Path, split: Split) -> Iterator[str]:
    """The kept documents' texts of one split, read line by line."""
    _check_split(split)
    file = Path(path) / f"{split}.jsonl"
    if not file.is_file():
        raise SeedforgeError(f"corpus version has no {split}.jsonl", path=path)
    with file.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield str(json.loads(line)["text"])
            except (ValueError, KeyError, TypeError):
                raise SeedforgeError(
                    "not a corpus document (JSON with a text field)", path=file, line=line_no
                ) from None


def load_blocks(path: Path, split: Split) -> np.ndarray[Any, Any]:
    """The split's token blocks, shape (blocks, block_size), memory-mapped read-only."""
    _check_split(split)
    manifest = load_manifest(path)
    file = Path(path) / f"{split}.bin"
    if not file.is_file():
        raise SeedforgeError(f"corpus version has no {split}.bin", path=path)
    dtype = np.dtype(manifest.dtype)
    size = file.stat().st_size
    if size % (dtype.itemsize * manifest.block_size):
        raise SeedforgeError(
            f"{size} bytes is not a whole number of {manifest.block_size}-token {dtype.name} blocks",
            path=file,
        )
    blocks = size // (dtype.itemsize * manifest.block_size)
    if blocks == 0:
        return np.zeros((0, manifest.block_size), dtype=dtype)
    return np.memmap(file, dtype=dtype, mode="r", shape=(blocks, manifest.block_size))


def source_digests(paths: Sequence[Path]) -> Counter[str]:
    """The sha256 of every file a build of `paths` reads (as a manifest's `sources` hold them)."""
    from pipeline.corpus.readers import iter_source_files

    found: Counter[str] = Counter()
    for path in iter_source_files(paths):
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        found[digest.hexdigest()] += 1
    return found


def matching_corpus(
    name: str, paths: Sequence[Path], config: CorpusConfig, *, newest_only: bool = False
) -> Path | None:
    """The newest version of `name` built from files with these contents and these settings
    (with `newest_only`, the newest version if it was), else None. The files are hashed only
    when a version's settings and file sizes already match: a build that follows reads them
    again."""
    from pipeline.corpus.readers import iter_source_files

    versions = version_dirs(check_name(name))
    wanted = config.model_dump(mode="json")
    sizes: Counter[int] | None = None
    digests: Counter[str] | None = None
    for version in reversed(versions[-1:] if newest_only else versions):
        manifest = load_manifest(version)
        if manifest.config != wanted:
            continue
        if sizes is None:
            sizes = Counter(path.stat().st_size for path in iter_source_files(paths))
        if Counter(s.bytes for s in manifest.sources) != sizes:
            continue
        digests = digests if digests is not None else source_digests(paths)
        if Counter(s.sha256 for s in manifest.sources) == digests:
            return version
    return None
