"""The `hf` export: the layout of a dataset repository on the Hugging Face Hub, so that
`datasets.load_dataset(FOLDER)` returns a DatasetDict (train, test) and the folder can be
uploaded as it is. Parquet files under `data/` (the schema of `arrow.py`: chat `messages` as
a list of structs) and a `README.md` dataset card.

The card's YAML header names each split's file (`configs`), the features and the split sizes
(which `load_dataset` checks against the files), the licence, languages and size category;
its body gives the records per split, the categories, the lineage (generators, models, prompt
templates, languages) and the generation config recorded in the version's manifest."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from pipeline.dataset.arrow import card_features
from pipeline.dataset.chat import Splits
from pipeline.dataset.exports import PARQUET, Layout, has_dialogues, write_layout
from pipeline.io import write_atomic
from pipeline.records import Record

DATA_FILES = {"train": "data/train-00000-of-00001.parquet", "test": "data/test-00000-of-00001.parquet"}
CARD = "README.md"
UNKNOWN_LICENSE = "unknown"  # the Hub's own id for a licence nobody stated
_SIZES = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"))


def write_hf(splits: Splits, directory: Path, manifest: dict[str, Any], license_id: str) -> Layout:
    """The data files and the card; returns the layout of the data files written."""
    written = write_layout(splits, directory, {PARQUET: DATA_FILES})
    files = written.get(PARQUET, {})
    card = dataset_card(splits, files, manifest, license_id, arrow_bytes(directory, files))
    write_atomic(directory / CARD, card)
    return written


def arrow_bytes(directory: Path, files: dict[str, str]) -> dict[str, int]:
    """Each split's size as an Arrow table, the `num_bytes` a card's split entry needs: without
    it `datasets` ignores the card's split sizes (and checks no count against them)."""
    import pyarrow.parquet as pq

    return {split: int(pq.read_table(directory / path).nbytes) for split, path in files.items()}


def size_category(records: int) -> str:
    return next((name for limit, name in _SIZES if records < limit), "n>1M")


def card_header(
    splits: Splits,
    files: dict[str, str],
    manifest: dict[str, Any],
    license_id: str,
    num_bytes: dict[str, int] | None = None,
) -> dict[str, Any]:
    languages = sorted({r.lineage.language for records in splits.values() for r in records})
    total = sum(len(records) for records in splits.values())
    return {
        "license": license_id,
        "language": languages,
        "pretty_name": f"{manifest['dataset']} (seedforge version {manifest['version']})",
        "task_categories": ["text-generation"],
        "tags": ["seedforge", "synthetic", "instruction-tuning"],
        "size_categories": [size_category(total)],
        "configs": [
            {
                "config_name": "default",
                "data_files": [{"split": split, "path": path} for split, path in files.items()],
            }
        ],
        "dataset_info": {
            "features": card_features(has_dialogues(splits)),
            "splits": [
                {
                    "name": split,
                    "num_bytes": (num_bytes or {}).get(split, 0),
                    "num_examples": len(splits[split]),
                }
                for split in files
            ],
        },
    }


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _table(header: tuple[str, ...], rows: Iterable[tuple[object, ...]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(_cell(value) for value in row) + " |" for row in rows]
    return lines + [""]


def _counted(splits: Splits, key: Any) -> list[tuple[object, ...]]:
    """One row per value of key(record): the value, then its records in each split."""
    per_split = {split: Counter(key(r) for r in records) for split, records in splits.items()}
    values = Counter(value for counts in per_split.values() for value in counts.elements())
    return [(value, *(per_split[s][value] for s in splits)) for value, _ in values.most_common()]


def _without_local_paths(value: Any) -> Any:
    """The config as a Hub reader may see it: an absolute path on the build machine becomes its
    file name (the folders say nothing to a reader and tell about the machine)."""
    if isinstance(value, dict):
        return {key: _without_local_paths(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_local_paths(item) for item in value]
    if isinstance(value, str) and value.startswith("/") and len(value) > 1:
        return Path(value).name
    return value


def _template(record: Record) -> str:
    lineage = record.lineage
    if lineage.template is None:
        return "(none)"
    return f"{lineage.template}@{lineage.template_version}" if lineage.template_version else lineage.template


def dataset_card(
    splits: Splits,
    files: dict[str, str],
    manifest: dict[str, Any],
    license_id: str,
    num_bytes: dict[str, int] | None = None,
) -> str:
    name, version = manifest["dataset"], manifest["version"]
    names = tuple(splits)
    header = yaml.safe_dump(
        card_header(splits, files, manifest, license_id, num_bytes), allow_unicode=True, sort_keys=False
    )
    lines = [
        f"---\n{header}---",
        "",
        f"# {name}",
        "",
        f"Version {version} of the dataset `{name}`, made with seedforge on "
        f"{manifest.get('created_at', '?')} "
        f"(content id `{str(manifest.get('content_id', '?'))[:16]}`). The `test` split is the held-out "
        "split, decontaminated against `train`.",
        "",
        "```python",
        "from datasets import load_dataset",
        "",
        'dataset = load_dataset("path/to/this/folder")  # a DatasetDict: ' + ", ".join(files),
        "```",
        "",
        "## Splits",
        "",
        *_table(("split", "records"), ((split, len(records)) for split, records in splits.items())),
    ]
    if any(r.lineage.category for records in splits.values() for r in records):
        lines += ["## Categories", ""]
        lines += _table(("category", *names), _counted(splits, lambda r: r.lineage.category or "(none)"))
    lines += ["## Lineage", ""]
    for title, key in (
        ("generator", lambda r: r.lineage.generator),
        ("model", lambda r: r.lineage.model or "(none)"),
        ("prompt template", _template),
        ("language", lambda r: r.lineage.language),
    ):
        lines += _table((title, *names), _counted(splits, key))
    lines += [
        "## License",
        "",
        f"`{license_id}`" + (" (not stated)" if license_id == UNKNOWN_LICENSE else ""),
        "",
    ]
    config = _without_local_paths(manifest.get("config") or {})
    lines += ["## Generation config", "", "From the version's manifest.json:", "", "```yaml"]
    lines += [
        yaml.safe_dump(config, allow_unicode=True, sort_keys=False).rstrip() if config else "{}",
        "```",
        "",
    ]
    return "\n".join(lines)


def license_of(manifest: dict[str, Any], given: str | None) -> str:
    """The licence given, else the one the build's config states, else unknown."""
    stated = given or (manifest.get("config") or {}).get("license")
    return str(stated) if stated else UNKNOWN_LICENSE
