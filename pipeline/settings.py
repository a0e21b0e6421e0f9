"""Machine-level settings read from the environment, where the source tree is, and the strict
base of every config model. Nothing here imports another pipeline module, so every part of
pipeline (each stage's config included) can build on it."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent  # the source tree, not installed data
SEEDS_DIR = REPO_ROOT / "seeds"
_TRUE_WORDS = frozenset({"1", "true", "yes", "on"})


class Settings(BaseSettings):
    """Machine-level settings, read from the environment (never from a flow parameter)."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    data_dir: Path = Field(default=Path("data"), alias="SEEDFORGE_DATA_DIR")
    openai_base_url: str | None = Field(default=None, alias="OPENAI_BASE_URL")
    openai_api_key: SecretStr | None = Field(default=None, alias="OPENAI_API_KEY")
    embedded_model: Path | None = Field(default=None, alias="SEEDFORGE_EMBEDDED_MODEL")
    torch_threads: int = Field(default=1, alias="SEEDFORGE_TORCH_THREADS")


def settings() -> Settings:
    return Settings()


def data_dir() -> Path:
    """SEEDFORGE_DATA_DIR (default ./data), created, as an absolute path."""
    path = settings().data_dir
    path.mkdir(parents=True, exist_ok=True)
    return path.resolve()


def env_flag(name: str, default: bool = False) -> bool:
    """An on/off environment variable: 1, true, yes or on (any case) mean on."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in _TRUE_WORDS


class StrictModel(BaseModel):
    """A config model that rejects unknown keys, so a misspelt YAML key is an error."""

    model_config = ConfigDict(extra="forbid")
