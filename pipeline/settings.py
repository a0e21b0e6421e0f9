"""Machine-level settings read from the environment (`settings()`; the model is
`pipeline.environment.Settings`), where the shipped seeds are, and the strict
base of every config model. Nothing here imports another pipeline module (but
`pipeline.environment`, which imports none, when a setting is read), so every part of pipeline
(each stage's config included) can build on it."""

from __future__ import annotations

import importlib.resources
import os
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from pipeline.environment import Settings

SHIPPED_PREFIX = "seeds"  # a relative path under seeds/ falls back to the shipped copy


def seeds_dir() -> Path:
    """The seed tasks, run configs and sample KB files that ship with seedforge: the top-level
    seeds/ folder of the source tree, installed as the package `pipeline.seeds` (wheel or
    editable install alike)."""
    try:
        root = importlib.resources.files("pipeline.seeds")
    except ModuleNotFoundError as exc:  # a checkout on PYTHONPATH, or an editable install from before
        raise RuntimeError(
            "seedforge's seeds (the package data pipeline.seeds) are not installed: "
            "run `pip install .` (or `pip install -e .` in a checkout)"
        ) from exc
    return Path(str(root))


SEEDS_DIR = seeds_dir()


def resolve_path(value: str | Path, base: Path | None = None) -> Path:
    """A path from a config file or a flow form. Absolute: as it is. Relative: under `base` (a
    config file's folder; the working directory when None) if it exists there, else — when it
    starts with `seeds/` — the copy shipped with seedforge, so `seeds/kb/medical_conditions.csv`
    works in a checkout, in the compose image and in an empty folder alike. Otherwise the path
    under `base`, for the caller's "not found" error."""
    path = Path(value)
    if path.is_absolute():
        return path
    local = (base or Path.cwd()) / path
    if not local.exists() and path.parts[:1] == (SHIPPED_PREFIX,):
        shipped = SEEDS_DIR.joinpath(*path.parts[1:])
        if shipped.exists():
            return shipped
    return local


_TRUE_WORDS = frozenset({"1", "true", "yes", "on"})


def settings() -> Settings:
    # pydantic-settings takes ~70 ms to import: only commands that read the environment pay it
    from pipeline.environment import Settings

    return Settings()


def data_dir() -> Path:
    """SEEDFORGE_DATA_DIR (default ./data) as an absolute path, not created: whatever writes
    under it makes its own folders, so a command that fails before writing (or only reads)
    leaves no empty ./data behind."""
    return settings().data_dir.resolve()


def env_flag(name: str, default: bool = False) -> bool:
    """An on/off environment variable: 1, true, yes or on (any case) mean on."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in _TRUE_WORDS


class StrictModel(BaseModel):
    """A config model that rejects unknown keys, so a misspelt YAML key is an error."""

    model_config = ConfigDict(extra="forbid")
