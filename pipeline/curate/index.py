"""The persistent, incremental curation index: what every earlier build of a dataset kept,
so a new build is deduplicated against all of them.

Each build adds one segment: the kept records' ids, compared texts and MinHash signatures.
On disk (the default) a segment is a JSONL file plus a raw uint32 signature file, and
`index.json` lists the committed segments; a build that fails leaves no trace (segments are
staged, then renamed, and the manifest is replaced atomically). On Redis (scale-out) the
MinHash-LSH itself lives in Redis through datasketch's Redis storage, with the signatures
and texts beside it, so any machine can open the same index.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from pipeline.errors import SeedforgeError
from pipeline.io import json_text, make_staging_dir, write_json_atomic
from pipeline.records import utc_now

if TYPE_CHECKING:
    from pipeline.curate.minhash import RemoteLSH

FORMAT = 1
TOKENIZER_VERSION = "cjk-char+word/1"  # bump when tokenize() changes what a text means


@dataclass(frozen=True)
class IndexEntry:
    id: str
    text: str  # the compared text (exact dedup and novelty)
    signature: np.ndarray | None  # MinHash of the minhash text; None when it lives remotely


class CurationIndex(Protocol):
    location: str

    def entries(self) -> Iterator[IndexEntry]: ...
    def builds(self) -> list[dict[str, Any]]: ...
    def stage(self, entry: IndexEntry) -> None: ...
    def commit(self, build: str) -> dict[str, Any]: ...
    def abort(self) -> None: ...
    def remote(self) -> RemoteLSH | None: ...


def check_fingerprint(stored: dict[str, Any], wanted: dict[str, Any], where: str) -> None:
    differing = {key: (stored.get(key), value) for key, value in wanted.items() if stored.get(key) != value}
    if differing:
        detail = ", ".join(
            f"{key}: index has {old!r}, this run uses {new!r}"
            for key, (old, new) in sorted(differing.items())
        )
        raise SeedforgeError(
            f"curation index was built with other settings ({detail}); "
            "use a new index directory or the same settings",
            path=where,
        )


class DiskIndex:
    def __init__(self, path: str | Path, fingerprint: dict[str, Any]):
        self.path = Path(path)
        self.location = str(self.path)
        self.fingerprint = fingerprint
        self.path.mkdir(parents=True, exist_ok=True)
        manifest = self._read_manifest()
        if manifest is None:
            with self._locked():
                manifest = self._read_manifest() or {
                    "format": FORMAT,
                    "fingerprint": fingerprint,
                    "builds": [],
                }
                self._write_manifest(manifest)
        check_fingerprint(manifest["fingerprint"], fingerprint, self.location)
        self._builds = manifest["builds"]
        self._staging: Path | None = None
        self._staged = 0

    @property
    def _manifest_path(self) -> Path:
        return self.path / "index.json"

    def _read_manifest(self) -> dict[str, Any] | None:
        if not self._manifest_path.exists():
            return None
        try:
            manifest: dict[str, Any] = json.loads(self._manifest_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise SeedforgeError(
                f"corrupt index manifest: {exc.msg}", path=self._manifest_path, line=exc.lineno
            ) from None
        if manifest.get("format") != FORMAT:
            raise SeedforgeError(f"unknown index format {manifest.get('format')!r}", path=self._manifest_path)
        return manifest

    def _write_manifest(self, manifest: dict[str, Any]) -> None:
        write_json_atomic(self._manifest_path, manifest)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with open(self.path / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def builds(self) -> list[dict[str, Any]]:
        return list(self._builds)

    def remote(self) -> RemoteLSH | None:
        return None  # on disk, earlier builds are loaded into the in-memory LSH

    def entries(self) -> Iterator[IndexEntry]:
        num_perm = self.fingerprint["num_perm"]
        for build in self._builds:
            stem = self.path / "segments" / build["segment"]
            signatures = np.fromfile(f"{stem}.sig", dtype=np.uint32).reshape(-1, num_perm)
            with open(f"{stem}.jsonl", encoding="utf-8") as lines:
                for row, line in enumerate(lines):
                    item = json.loads(line)
                    yield IndexEntry(item["id"], item["text"], signatures[row])

    def stage(self, entry: IndexEntry) -> None:
        if self._staging is None:
            self._staging = make_staging_dir(self.path / "segment")
            self._texts = open(self._staging / "entries.jsonl", "w", encoding="utf-8")
            self._signatures = open(self._staging / "signatures.sig", "wb")
        self._texts.write(json_text({"id": entry.id, "text": entry.text}) + "\n")
        # bytes through the buffered file: `ndarray.tofile` flushes and seeks on every call
        self._signatures.write(np.asarray(entry.signature, dtype=np.uint32).tobytes())
        self._staged += 1

    def _close_staging(self) -> None:
        if self._staging is not None:
            self._texts.close()
            self._signatures.close()

    def commit(self, build: str) -> dict[str, Any]:
        """Make the staged entries a segment of the index, whole or not at all."""
        with self._locked():
            manifest = self._read_manifest() or {
                "format": FORMAT,
                "fingerprint": self.fingerprint,
                "builds": [],
            }
            segment = f"{len(manifest['builds']) + 1:06d}"
            segments = self.path / "segments"
            segments.mkdir(exist_ok=True)
            self._close_staging()
            if self._staging is not None:
                os.replace(self._staging / "entries.jsonl", segments / f"{segment}.jsonl")
                os.replace(self._staging / "signatures.sig", segments / f"{segment}.sig")
            else:
                (segments / f"{segment}.jsonl").write_bytes(b"")
                (segments / f"{segment}.sig").write_bytes(b"")
            record = {"name": build, "segment": segment, "entries": self._staged, "created_at": utc_now()}
            manifest["builds"].append(record)
            self._write_manifest(manifest)
        self.abort()
        self._builds = manifest["builds"]
        return record

    def abort(self) -> None:
        self._close_staging()
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
        self._staging, self._staged = None, 0
