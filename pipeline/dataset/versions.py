"""Dataset versions: an immutable directory per build with the kept records (train and held-out
splits), every rejected record with its reason, an Alpaca export and a manifest.json with counts,
config and checksums. A version appears whole or not at all (written aside, then renamed)."""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.config import data_dir
from pipeline.errors import SeedforgeError
from pipeline.records import AlpacaRecord, RejectedRecord, dump_jsonl_line, utc_now

TRAIN, HELDOUT, REJECTED, ALPACA, MANIFEST = (
    "train.jsonl", "heldout.jsonl", "rejected.jsonl", "alpaca.json", "manifest.json"
)


@dataclass(frozen=True)
class DatasetVersion:
    dataset: str
    version: int
    path: Path

    @property
    def manifest(self) -> dict[str, Any]:
        return json.loads((self.path / MANIFEST).read_text(encoding="utf-8"))


def _order_key(record_id: str) -> str:
    return hashlib.sha256(f"heldout:{record_id}".encode()).hexdigest()


def split_heldout(
    records: list[AlpacaRecord], fraction: float, minimum: int
) -> tuple[list[AlpacaRecord], list[AlpacaRecord]]:
    """Deterministic by record id. Curation already keeps every pair of records below the
    novelty threshold, so no held-out item is a near-duplicate of a training item."""
    if len(records) < 2:
        raise SeedforgeError(f"need at least 2 records to make a held-out split, got {len(records)}")
    size = min(len(records) - 1, max(minimum, math.ceil(fraction * len(records))))
    ranked = sorted(records, key=lambda r: _order_key(r.id))
    heldout_ids = {r.id for r in ranked[:size]}
    train = [r for r in records if r.id not in heldout_ids]
    heldout = [r for r in records if r.id in heldout_ids]
    return train, heldout


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def datasets_root() -> Path:
    return data_dir() / "datasets"


def _next_version(parent: Path) -> int:
    numbers = [int(p.name[1:]) for p in parent.glob("v[0-9]*") if p.name[1:].isdigit()]
    return max(numbers, default=0) + 1


def _write_jsonl(path: Path, items: list[Any]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for item in items:
            handle.write(dump_jsonl_line(item))


def write_version(
    dataset: str,
    train: list[AlpacaRecord],
    heldout: list[AlpacaRecord],
    rejected: list[RejectedRecord],
    *,
    config: dict[str, Any],
    stats: dict[str, Any],
    root: Path | None = None,
) -> DatasetVersion:
    parent = (root or datasets_root()) / dataset
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=parent))
    try:
        _write_jsonl(staging / TRAIN, train)
        _write_jsonl(staging / HELDOUT, heldout)
        _write_jsonl(staging / REJECTED, rejected)
        (staging / ALPACA).write_text(
            json.dumps([r.to_alpaca() for r in train], ensure_ascii=False, indent=2), encoding="utf-8"
        )
        files = {
            name: {"sha256": sha256_file(staging / name), "records": count}
            for name, count in ((TRAIN, len(train)), (HELDOUT, len(heldout)),
                                (REJECTED, len(rejected)), (ALPACA, len(train)))
        }
        manifest = {
            "dataset": dataset,
            "created_at": utc_now(),
            "counts": {
                "train": len(train), "heldout": len(heldout), "rejected": len(rejected),
                "rejected_by_reason": dict(Counter(r.reason for r in rejected).most_common()),
            },
            "files": files,
            "config": config,
            "stats": stats,
        }
        while True:
            version = _next_version(parent)
            manifest["version"] = version
            (staging / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2),
                                            encoding="utf-8")
            target = parent / f"v{version:04d}"
            try:
                os.rename(staging, target)  # atomic; fails if another writer took the number
            except OSError:
                if target.exists():
                    continue
                raise
            return DatasetVersion(dataset, version, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def read_records(path: Path) -> list[AlpacaRecord]:
    records = []
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    records.append(AlpacaRecord.model_validate_json(line))
                except ValueError as exc:
                    raise SeedforgeError(f"not a seedforge Alpaca record: {exc}", path=path,
                                         line=line_no) from None
    return records


def load_version(path: Path) -> tuple[DatasetVersion, list[AlpacaRecord], list[AlpacaRecord]]:
    """Read a version back, refusing one whose files do not match their manifest checksums."""
    manifest_path = path / MANIFEST
    if not manifest_path.is_file():
        raise SeedforgeError("not a dataset version (no manifest.json)", path=path)
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    for name in (TRAIN, HELDOUT):
        expected = manifest["files"][name]["sha256"]
        if sha256_file(path / name) != expected:
            raise SeedforgeError("checksum does not match manifest.json", path=path / name)
    version = DatasetVersion(manifest["dataset"], manifest["version"], path)
    return version, read_records(path / TRAIN), read_records(path / HELDOUT)
