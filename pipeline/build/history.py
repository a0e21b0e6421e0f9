"""A dataset's earlier builds, as the next build sees them: the settings they fixed, the
curation index that remembers their records, and the version this build grows from.

Everything here runs before the first request: a changed language or compare mode, an index
built with other settings, or an index that cannot be opened stops the build while nothing is
sent and nothing is written."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.config import BuildConfig
from pipeline.curate.files import open_index
from pipeline.curate.index import CurationIndex
from pipeline.curate.index_location import index_location_for, shown_location
from pipeline.curate.views import instruction_of
from pipeline.dataset.builds import recorded_settings
from pipeline.dataset.versions import DatasetVersion, latest_version, load_version, version_path
from pipeline.errors import SeedforgeError
from pipeline.generate.self_instruct.earlier import EarlierBuilds, EarlierInstruction
from pipeline.records import Record, RejectedRecord


def build_settings(config: BuildConfig) -> dict[str, Any]:
    """What every build of one dataset name must share: records in one language, compared the
    same way as the index remembers them."""
    return {"language": config.generate.language, "compare": config.curate.compare}


def _manifest_settings(version: DatasetVersion) -> dict[str, Any]:
    saved = version.manifest.get("config") or {}
    found = {
        "language": (saved.get("generate") or {}).get("language"),
        "compare": (saved.get("curate") or {}).get("compare"),
    }
    return {key: value for key, value in found.items() if value is not None}


def check_settings(config: BuildConfig, root: Path) -> None:
    """Refuse a config whose language or compare mode differs from the dataset's builds."""
    latest = latest_version(config.name, root)
    recorded = recorded_settings(root, config.name) or (_manifest_settings(latest) if latest else {})
    wanted = build_settings(config)
    differing = [key for key in wanted if key in recorded and recorded[key] != wanted[key]]
    if differing:
        detail = ", ".join(f"{key} {recorded[key]!r} (this config: {wanted[key]!r})" for key in differing)
        raise SeedforgeError(
            f"dataset {config.name!r} is built with {detail}; every build of a dataset name "
            "must share them: use another name, or the dataset's settings",
            path=root / config.name,
        )


def index_location(config: BuildConfig) -> str | None:
    """`history.index`, else SEEDFORGE_REDIS_URL (prefixed by the dataset name), else
    DATA_DIR/index/NAME; None when cross-build dedup is off."""
    if not config.history.dedup:
        return None
    if config.history.index:
        return config.history.index
    return index_location_for(config.name)


def open_build_index(config: BuildConfig) -> CurationIndex | None:
    location = index_location(config)
    if location is None:
        return None
    try:
        return open_index(location, config.curate)
    except SeedforgeError:
        raise
    except (OSError, ValueError) as exc:  # an unwritable directory, a refused connection, a bad URL
        raise SeedforgeError(
            f"cannot open the curation index of earlier builds ({type(exc).__name__}: {exc})",
            path=shown_location(location),
        ) from None


@dataclass
class History:
    """The version a build grows from (None for a dataset's first build) and its records."""

    parent: DatasetVersion | None = None
    train: list[Record] = field(default_factory=list)
    heldout: list[Record] = field(default_factory=list)
    index: CurationIndex | None = None

    @property
    def parent_manifest(self) -> dict[str, Any] | None:
        return self.parent.manifest if self.parent else None

    def earlier(self, number: int) -> EarlierBuilds:
        """The pool starts with the instructions of earlier training records (held-out items
        are never shown to the model); new instructions are screened against all of them."""
        pool = list(dict.fromkeys(instruction_of(record) for record in self.train))
        kept = [EarlierInstruction(r.id, instruction_of(r)) for r in self.train + self.heldout]
        return EarlierBuilds(number, tuple(pool), tuple(kept))

    def built_by(self) -> dict[str, str]:
        """Record id -> the build that added it ("" for records made before builds were named)."""
        return {r.id: getattr(r.lineage, "build", None) or "" for r in self.train + self.heldout}

    def mark_duplicates(self, rejected: list[RejectedRecord]) -> int:
        """Rejections whose partner is a record of an earlier build get `earlier_build` in their
        evidence (the build that kept the partner); returns how many."""
        built_by = self.built_by()
        marked = 0
        for rejection in rejected:
            partner = rejection.evidence.get("partner_id")
            if isinstance(partner, str) and partner in built_by:
                rejection.evidence["earlier_build"] = built_by[partner] or "earlier"
                marked += 1
        return marked


def load_history(config: BuildConfig, parent: int | None, index: CurationIndex | None, root: Path) -> History:
    """The parent version read back (checksums verified)."""
    if parent is None:
        return History(index=index)
    path = version_path(config.name, parent, root)
    if not path.is_dir():
        raise SeedforgeError(
            f"version {parent} of dataset {config.name!r}, this build's parent, is gone", path=path
        )
    version, train, heldout = load_version(path)
    return History(version, train, heldout, index)
