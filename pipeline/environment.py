"""The machine-level settings seedforge reads from the environment (never from a flow
parameter or a config file). Read them through `pipeline.settings.settings()`."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Machine-level settings, read from the environment (never from a flow parameter)."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    data_dir: Path = Field(default=Path("data"), alias="SEEDFORGE_DATA_DIR")
    openai_base_url: str | None = Field(default=None, alias="OPENAI_BASE_URL")
    openai_api_key: SecretStr | None = Field(default=None, alias="OPENAI_API_KEY")
    embedded_model: Path | None = Field(default=None, alias="SEEDFORGE_EMBEDDED_MODEL")
    torch_threads: int = Field(default=1, alias="SEEDFORGE_TORCH_THREADS")
    # the curation index of dataset builds; may hold a password, so never printed as it is
    redis_url: SecretStr | None = Field(default=None, alias="SEEDFORGE_REDIS_URL")
    # the request journal: a path or sqlite:/// URL, or postgresql:// (may hold a password)
    journal_url: SecretStr | None = Field(default=None, alias="SEEDFORGE_JOURNAL_URL")
    journal_lease_s: float = Field(default=120.0, gt=0, alias="SEEDFORGE_JOURNAL_LEASE_S")
