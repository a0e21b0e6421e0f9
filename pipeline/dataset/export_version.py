"""`seedforge export`: one format of an existing dataset version, its train and test (held-out)
splits, into a new folder. The files come from the same writers as a version's own exports
(`exports.py`); the folder is filled aside and renamed into place, so it appears whole or not
at all, and a folder that holds anything is replaced only when asked.

| format | files |
| --- | --- |
| alpaca | `train.json`, `test.json` (JSON lists of instruction/input/output) |
| sharegpt | `train.json`, `test.json` (`conversations` of from/value) |
| openai | `train.jsonl`, `test.jsonl` (OpenAI chat fine-tuning lines, `messages`) |
| parquet | `train.parquet`, `test.parquet` |
| hf | `README.md` (dataset card), `data/train-00000-of-00001.parquet`, `data/test-…` |
| llama-factory | `alpaca_{train,test}.json`, `sharegpt_{train,test}.json`, `dataset_info.json` |
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from pipeline.dataset.chat import check_chat_rules
from pipeline.dataset.config import ExportFormat, check_license_id
from pipeline.dataset.exports import (
    ALPACA,
    DATASET_INFO,
    OPENAI,
    PARQUET,
    SHAREGPT,
    Layout,
    has_dialogues,
    write_layout,
)
from pipeline.dataset.hf_card import CARD, DATA_FILES, license_of, write_hf
from pipeline.dataset.llama_factory import dataset_info
from pipeline.dataset.versions import HELDOUT, TRAIN, datasets_root, load_version, resolve_version
from pipeline.errors import SeedforgeError
from pipeline.io import publish_dir, staging_dir, through_link, write_json_atomic
from pipeline.settings import data_dir
from pipeline.user_files import check_writable_beside, refuse_replacing

LAYOUTS: dict[ExportFormat, Layout] = {
    ExportFormat.alpaca: {ALPACA: {"train": "train.json", "test": "test.json"}},
    ExportFormat.sharegpt: {SHAREGPT: {"train": "train.json", "test": "test.json"}},
    ExportFormat.openai: {OPENAI: {"train": "train.jsonl", "test": "test.jsonl"}},
    ExportFormat.parquet: {PARQUET: {"train": "train.parquet", "test": "test.parquet"}},
    ExportFormat.llama_factory: {
        ALPACA: {"train": "alpaca_train.json", "test": "alpaca_test.json"},
        SHAREGPT: {"train": "sharegpt_train.json", "test": "sharegpt_test.json"},
    },
}


@dataclass
class Export:
    """What `export_version` wrote: where, from which version, the records per split and the
    files (relative to `out`)."""

    out: Path
    dataset: str
    version: int
    source: Path
    records: dict[str, int]
    files: list[str] = field(default_factory=list)

    def summary(self) -> str:
        counts = ", ".join(f"{split} {n}" for split, n in self.records.items())
        empty = [split for split, n in self.records.items() if n == 0]
        note = f" ({' and '.join(empty)} empty: no file)" if empty else ""
        return f"{self.dataset} v{self.version}: {counts}{note} -> {self.out}"


def _export_files() -> frozenset[str]:
    """Every file (relative to the folder) an export of any format writes."""
    named = [name for layout in LAYOUTS.values() for files in layout.values() for name in files.values()]
    return frozenset([*named, *DATA_FILES.values(), CARD, DATASET_INFO])


def check_out(out: Path, overwrite: bool) -> None:
    """Refuse a file, or a folder that holds anything unless `overwrite`, before any work; and
    `overwrite` replaces an earlier export, never a folder holding files no export writes."""
    if out.exists() and not out.is_dir():
        raise SeedforgeError("exists and is not a folder", path=out)
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise SeedforgeError("the output folder is not empty (pass --overwrite to replace it)", path=out)
    versions = datasets_root().resolve()
    if out.resolve() == versions or versions in out.resolve().parents:
        raise SeedforgeError(
            f"--out is inside seedforge's datasets folder {versions}, whose versions never change; "
            "export to a folder of its own",
            path=out,
        )
    check_writable_beside(out, "--out", out)  # filled beside it, then renamed into place
    if out.is_dir() and not os.access(out, os.W_OK):  # an immutable or read-only folder stays put
        raise SeedforgeError("--out: cannot replace this folder (permission denied or read-only)", path=out)
    if out.is_dir() and overwrite:
        known = _export_files()
        held = (str(p.relative_to(out)) for p in out.rglob("*") if not p.is_dir())
        foreign = sorted(islice((name for name in held if name not in known), 4))  # a home folder: stop early
        if foreign:
            more = ", …" if len(foreign) > 3 else ""
            raise SeedforgeError(
                f"--overwrite replaces an earlier export, and this folder holds files no export "
                f"writes ({', '.join(foreign[:3])}{more}): move them, or export to another folder",
                path=out,
            )


def export_version(
    spec: str | Path,
    fmt: ExportFormat,
    out: Path,
    *,
    overwrite: bool = False,
    license_id: str | None = None,
) -> Export:
    """Write `fmt` of the version `spec` (a version folder, NAME for its latest version, or
    NAME@vN) into `out`. Bad input raises SeedforgeError with nothing written."""
    out = through_link(Path(out).absolute())  # "." has no name to stage beside
    if license_id is not None:
        try:
            check_license_id(license_id)
        except ValueError as exc:
            raise SeedforgeError(f"--license: {exc}") from None
    check_out(out, overwrite)
    version_dir = resolve_version(str(spec))
    refuse_replacing(out, [version_dir, data_dir(), Path.cwd()])
    version, train, heldout = load_version(version_dir)
    splits = {"train": train, "test": heldout}
    check_chat_rules(splits, {"train": version_dir / TRAIN, "test": version_dir / HELDOUT})
    manifest = version.manifest
    with staging_dir(out) as staging:
        if fmt == ExportFormat.hf:
            write_hf(splits, staging, manifest, license_of(manifest, license_id))
        else:
            written = write_layout(splits, staging, LAYOUTS[fmt])
            if fmt == ExportFormat.llama_factory:
                info = dataset_info(version.dataset, written, has_dialogues(splits))
                write_json_atomic(staging / DATASET_INFO, info)
        files = sorted(str(p.relative_to(staging)) for p in staging.rglob("*") if p.is_file())
        publish_dir(staging, out, replace=True)
    return Export(
        out=out,
        dataset=version.dataset,
        version=version.version,
        source=version_dir,
        records={split: len(records) for split, records in splits.items()},
        files=files,
    )
