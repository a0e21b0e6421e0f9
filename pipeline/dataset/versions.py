"""Dataset versions: an immutable directory per build with the kept records (train and held-out
splits), every rejected record with its reason, exports of both splits (`exports.py`) and a
manifest.json with counts, config and checksums. A version appears whole or not at all (written
aside, then renamed)."""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.curate.config import CurateConfig
from pipeline.dataset.categories import split_categories, split_category_sources
from pipeline.dataset.decontaminate import Contamination, settle_heldout
from pipeline.dataset.exports import export_records
from pipeline.errors import SeedforgeError
from pipeline.io import publish_dir, staging_dir, write_json_atomic, write_jsonl_atomic
from pipeline.records import AlpacaRecord, Record, RejectedRecord, record_from_dict, utc_now
from pipeline.settings import data_dir
from pipeline.user_files import utf8_lines

TRAIN, HELDOUT, REJECTED, MANIFEST = "train.jsonl", "heldout.jsonl", "rejected.jsonl", "manifest.json"
MIN_RECORDS_FOR_VERSION = 2  # a version needs a train and a held-out record


@dataclass(frozen=True)
class DatasetVersion:
    dataset: str
    version: int
    path: Path

    @property
    def manifest(self) -> dict[str, Any]:
        manifest: dict[str, Any] = json.loads((self.path / MANIFEST).read_text(encoding="utf-8"))
        return manifest


def heldout_rank(key: str) -> str:
    return hashlib.sha256(f"heldout:{key}".encode()).hexdigest()


def heldout_group(record: Record) -> str:
    """What shares a split: the instances of one Alpaca instruction (siblings differ only in
    their input, so a held-out instance whose sibling trains would be a near-duplicate of
    it), otherwise the record alone."""
    if isinstance(record, AlpacaRecord):
        return "task:" + " ".join(record.instruction.split()).casefold()
    return "record:" + record.id


def pick_heldout(records: list[Record], size: int) -> set[str]:
    """The ids of `size` records to hold out, whole tasks at a time in an order fixed by a hash
    of the task (so independent of the records' order); a task too large for the room left is
    passed over, and only when no whole task fits are single records taken (by a hash of the
    id); a pick near a training sibling then trains (`settle_heldout`)."""
    groups: dict[str, list[Record]] = {}
    for record in records:
        groups.setdefault(heldout_group(record), []).append(record)
    chosen: set[str] = set()
    for key in sorted(groups, key=heldout_rank):
        members = groups[key]
        if len(chosen) + len(members) <= size:
            chosen.update(record.id for record in members)
    if len(chosen) < size:
        rest = sorted((r for r in records if r.id not in chosen), key=lambda r: heldout_rank(r.id))
        chosen.update(record.id for record in rest[: size - len(chosen)])
    return chosen


@dataclass
class HeldoutSplit:
    train: list[Record]  # the moved records included
    heldout: list[Record]
    moved: list[Contamination]  # held-out picks moved to training as near-duplicates of it


def split_decontaminated(
    records: list[Record], fraction: float, minimum: int, curate: CurateConfig | None = None
) -> HeldoutSplit:
    """Deterministic by task (`pick_heldout`), then checked with curation's near-duplicate
    rule: a held-out pick near any training item trains instead (and is reported). Curation
    keeps every pair of tasks below the novelty threshold, so with the same settings only the
    instances of a task split for lack of held-out room move; other settings or records that
    bypassed curation are caught here."""
    if len(records) < 2:
        raise SeedforgeError(f"need at least 2 records to make a held-out split, got {len(records)}")
    size = min(len(records) - 1, max(minimum, math.ceil(fraction * len(records))))
    heldout_ids = pick_heldout(records, size)
    train = [r for r in records if r.id not in heldout_ids]
    heldout = [r for r in records if r.id in heldout_ids]
    staying, hits = settle_heldout(train, heldout, curate or CurateConfig())
    kept_out = {r.id for r in staying}
    return HeldoutSplit([r for r in records if r.id not in kept_out], staying, hits)


def split_heldout(
    records: list[Record], fraction: float, minimum: int, curate: CurateConfig | None = None
) -> tuple[list[Record], list[Record]]:
    """`split_decontaminated` without the report."""
    split = split_decontaminated(records, fraction, minimum, curate)
    return split.train, split.heldout


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def datasets_root() -> Path:
    return data_dir() / "datasets"


def _version_dirs(parent: Path, *, published: bool = True) -> list[Path]:
    """Numbered version folders in order; `published`: with a manifest (versions are renamed into
    place whole: a folder without one, `mkdir v0009`, was made by someone else)."""
    found = [p for p in parent.glob("v[0-9]*") if p.name[1:].isdigit()]
    if published:
        found = [p for p in found if (p / MANIFEST).is_file()]
    return sorted(found, key=lambda p: int(p.name[1:]))


def _next_version(parent: Path) -> int:
    dirs = _version_dirs(parent, published=False)  # past every numbered folder: none is replaced
    return int(dirs[-1].name[1:]) + 1 if dirs else 1


def content_id(train: list[Record], heldout: list[Record], rejected: list[RejectedRecord]) -> str:
    """What a version holds, independent of when it was built: record ids (content hashes)
    per split and the rejected records with their reasons."""
    digest = hashlib.sha256()
    for label, ids in (
        ("train", sorted(r.id for r in train)),
        ("heldout", sorted(r.id for r in heldout)),
        ("rejected", sorted(f"{r.record.get('id')}:{r.reason}" for r in rejected)),
    ):
        digest.update(f"{label}:{','.join(ids)};".encode())
    return digest.hexdigest()


def latest_version(dataset: str, root: Path | None = None) -> DatasetVersion | None:
    dirs = _version_dirs((root or datasets_root()) / dataset)
    return DatasetVersion(dataset, int(dirs[-1].name[1:]), dirs[-1]) if dirs else None


def version_path(dataset: str, version: int, root: Path | None = None) -> Path:
    return (root or datasets_root()) / dataset / f"v{version:04d}"


def write_version(
    dataset: str,
    train: list[Record],
    heldout: list[Record],
    rejected: list[RejectedRecord],
    *,
    config: dict[str, Any],
    stats: dict[str, Any],
    exports: tuple[str, ...] | list[str] = ("alpaca_json",),
    root: Path | None = None,
    lineage: dict[str, Any] | None = None,
) -> DatasetVersion:
    """A new version, unless the latest one holds exactly the same content: then that one is
    returned unchanged, so rerunning a finished build changes nothing. `lineage` goes into the
    manifest as it is (a build's `parent`, `build`, `growth` and `builds`; see `growth.py`)."""
    parent = (root or datasets_root()) / dataset
    parent.mkdir(parents=True, exist_ok=True)
    identity = content_id(train, heldout, rejected)
    latest = latest_version(dataset, root)
    if latest is not None and latest.manifest.get("content_id") == identity:
        return latest
    with staging_dir(parent / "version") as staging:
        for name, items in ((TRAIN, train), (HELDOUT, heldout), (REJECTED, rejected)):
            write_jsonl_atomic(staging / name, (item.model_dump(mode="json") for item in items))
        exported = export_records({"train": train, "test": heldout}, staging, exports, dataset)
        counts = {TRAIN: len(train), HELDOUT: len(heldout), REJECTED: len(rejected)}
        sizes = {"train": len(train), "test": len(heldout)}
        counts.update({name: sizes[split] for names in exported.values() for split, name in names.items()})
        files = {
            name: {"sha256": sha256_file(staging / name), "records": count} for name, count in counts.items()
        }
        manifest: dict[str, Any] = {
            "dataset": dataset,
            "content_id": identity,
            "created_at": utc_now(),
            "counts": {
                "train": len(train),
                "heldout": len(heldout),
                "rejected": len(rejected),
                "rejected_by_reason": dict(Counter(r.reason for r in rejected).most_common()),
            },
            # records per task category and per who assigned it, in each split
            "categories": split_categories(train, heldout),
            "category_sources": split_category_sources(train, heldout),
            "files": files,
            # {format: file} of the train split, as before; the held-out split's as `exports_test`
            "exports": {fmt: names["train"] for fmt, names in exported.items() if "train" in names},
            "exports_test": {fmt: names["test"] for fmt, names in exported.items() if "test" in names},
            "config": config,
            "stats": stats,
            **(lineage or {}),
        }
        while True:
            version = _next_version(parent)
            manifest["version"] = version
            write_json_atomic(staging / MANIFEST, manifest)
            target = version_path(dataset, version, root)
            try:
                publish_dir(staging, target, replace=False)  # fails if another writer took the number
            except OSError:
                if target.exists():
                    continue
                raise
            return DatasetVersion(dataset, version, target)


def read_records(path: Path) -> list[Record]:
    records = []
    with path.open("rb") as handle:
        for line_no, line in utf8_lines(handle, path):
            if line.strip():
                try:
                    records.append(record_from_dict(json.loads(line)))
                except ValueError as exc:
                    raise SeedforgeError(f"not a seedforge record: {exc}", path=path, line=line_no) from None
    return records


def _checksums(manifest: Any, manifest_path: Path) -> dict[str, str]:
    """The splits' sha256 as listed; another shape is named by what was expected."""
    files = manifest.get("files") if isinstance(manifest, dict) else None
    entries = {name: files.get(name) for name in (TRAIN, HELDOUT)} if isinstance(files, dict) else {}
    if not entries or not all(
        isinstance(e, dict) and isinstance(e.get("sha256"), str) for e in entries.values()
    ):
        shape = '"files": {"train.jsonl": {"sha256": …}, "heldout.jsonl": {"sha256": …}}'
        raise SeedforgeError(f"not a seedforge manifest: expected an object with {shape}", path=manifest_path)
    return {name: entry["sha256"] for name, entry in entries.items()}  # type: ignore[index]


def load_version(path: Path) -> tuple[DatasetVersion, list[Record], list[Record]]:
    """Read a version back, refusing one whose files do not match their manifest checksums."""
    manifest_path = path / MANIFEST
    if not manifest_path.is_file():
        raise SeedforgeError("not a dataset version (no manifest.json)", path=path)
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if isinstance(manifest, dict) and "splits" in manifest and "dataset" not in manifest:
            raise SeedforgeError(
                "a corpus version (pretraining text), not a dataset version: it goes to "
                "`seedforge pretrain` and `vocab extend`",
                path=path,
            )
        expected = _checksums(manifest, manifest_path)
        version = DatasetVersion(manifest["dataset"], manifest["version"], path)
    except KeyError as exc:
        raise SeedforgeError(f"not a seedforge manifest (no {exc} field)", path=manifest_path) from None
    except (ValueError, TypeError) as exc:
        raise SeedforgeError(f"not a seedforge manifest ({exc})", path=manifest_path) from None
    for name, checksum in expected.items():
        if not (path / name).is_file():
            raise SeedforgeError("missing: the manifest lists it", path=path / name)
        if sha256_file(path / name) != checksum:
            raise SeedforgeError("checksum does not match manifest.json", path=path / name)
    return version, read_records(path / TRAIN), read_records(path / HELDOUT)


def resolve_version(spec: str | Path) -> Path:
    """A version directory as given, the latest version of a dataset by name, or one version of
    it by `NAME@vN` (or `NAME@N`)."""
    path = Path(spec)
    if (path / MANIFEST).is_file():
        return path
    if isinstance(spec, str) and "/" not in spec and spec:
        name, at, number = spec.partition("@")
        if at:
            return _numbered_version(name, number)
        latest = latest_version(spec)
        if latest is not None:
            return latest.path
        raise SeedforgeError(f"dataset {spec!r} has no version under {datasets_root()}")
    raise SeedforgeError("not a dataset version (no manifest.json)", path=path)


def _numbered_version(name: str, number: str) -> Path:
    digits = number.removeprefix("v")
    if not name or not digits.isdigit():
        raise SeedforgeError(f"{name}@{number}: expected NAME@vN, e.g. {name or 'demo'}@v2")
    target = version_path(name, int(digits))
    if (target / MANIFEST).is_file():
        return target
    known = ", ".join(f"v{int(p.name[1:])}" for p in _version_dirs(datasets_root() / name)) or "none"
    raise SeedforgeError(
        f"dataset {name!r} has no version {int(digits)} under {datasets_root()} (its versions: {known})"
    )
