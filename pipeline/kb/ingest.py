"""Ingest files into a knowledge base: load and check every file first, then apply all of them
in one transaction, so a bad file leaves the store exactly as it was."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import SeedforgeError
from pipeline.kb.entry import KBEntry
from pipeline.kb.loaders import FORMATS, load_entries
from pipeline.kb.mapping import load_mapping
from pipeline.kb.store import KBStore, SourceChanges

log = logging.getLogger(__name__)


@dataclass
class IngestReport:
    kb: str
    store: Path
    sources: list[SourceChanges] = field(default_factory=list)
    active: int = 0  # active entries in the store after the ingest (set by ingest_files)

    def totals(self) -> dict[str, int]:
        totals = {"new": 0, "changed": 0, "unchanged": 0, "removed": 0}
        for source in self.sources:
            for key, value in source.counts().items():
                totals[key] += value
        return totals

    @property
    def changed_anything(self) -> bool:
        totals = self.totals()
        return any(totals[k] for k in ("new", "changed", "removed"))


def _hidden(path: Path, folder: Path) -> bool:
    """A dot file, or a file in a dot folder (.git, .cache), below `folder`."""
    return any(part.startswith(".") for part in path.relative_to(folder).parts)


def expand_paths(paths: list[Path]) -> list[Path]:
    """Files as given; a directory stands for its supported files (READMEs and hidden files and
    folders skipped; other files skipped with a warning)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            visible = [p for p in path.rglob("*") if p.is_file() and not _hidden(p, path)]
            found = sorted(
                p for p in visible if p.suffix.lower() in FORMATS and not p.name.lower().startswith("readme")
            )
            others = sorted(p.name for p in visible if p.suffix.lower() not in FORMATS)
            if others:
                more = f" and {len(others) - 3} more" if len(others) > 3 else ""
                log.warning(
                    "%s: skipped %s%s (not a knowledge-base format)", path, ", ".join(others[:3]), more
                )
            if not found:
                raise SeedforgeError(
                    f"directory holds no knowledge-base files ({', '.join(sorted(FORMATS))})", path=path
                )
            files.extend(found)
        else:
            files.append(path)
    return files


def source_name(path: Path) -> str:
    """Entries are tracked per source file, by its absolute path."""
    return str(path.resolve())


Sources = list[tuple[str, list[KBEntry]]]


def load_sources(paths: list[Path], mapping_file: Path | None = None) -> Sources:
    """Every file's entries, read before the store is opened: a bad file creates no store."""
    mapping = load_mapping(mapping_file)
    loaded: Sources = []
    for path in expand_paths(paths):
        source = source_name(path)
        if any(source == seen for seen, _ in loaded):
            continue
        loaded.append((source, load_entries(path, mapping, source)))
    return loaded


def ingest(store: KBStore, kb: str, paths: list[Path], mapping_file: Path | None = None) -> IngestReport:
    return apply_sources(store, kb, load_sources(paths, mapping_file), _folders(paths))


def _folders(paths: list[Path]) -> list[str]:
    return [source_name(path) for path in paths if path.is_dir()]


def ingest_files(
    data_dir: Path, kb: str, paths: list[Path], mapping_file: Path | None = None
) -> IngestReport:
    """What the CLI and the flow run: every file read before the store is opened, so a bad
    one leaves no empty store behind."""
    loaded = load_sources(paths, mapping_file)
    with KBStore.open(data_dir, kb) as store:
        report = apply_sources(store, kb, loaded, _folders(paths))
        report.active = store.counts().get("active", 0)
    return report


def apply_sources(store: KBStore, kb: str, loaded: Sources, folders: Sequence[str] = ()) -> IngestReport:
    """`loaded` into the store; a file that was ingested from one of `folders` (a directory
    ingested again) and is no longer there has its entries marked removed."""
    report = IngestReport(kb, store.path)
    given = {source for source, _ in loaded}
    within = tuple(folder.rstrip(os.sep) + os.sep for folder in folders)
    active = {entry.source for entry in store.entries("active")} if within else set()
    vanished = sorted(source for source in active if source.startswith(within) and source not in given)
    with store.transaction() as conn:
        for source, entries in loaded:
            report.sources.append(store.apply(conn, source, entries))
        for source in vanished:
            report.sources.append(store.apply(conn, source, []))
    return report
