from pathlib import Path

import pytest

from pipeline.build.history import index_location
from pipeline.config import BuildConfig
from pipeline.curate.index_location import shown_location


def test_the_index_defaults_to_a_directory_per_dataset(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SEEDFORGE_REDIS_URL", raising=False)
    assert index_location(BuildConfig(name="nightly")) == str(data_dir.resolve() / "index" / "nightly")
    off = BuildConfig(name="nightly", history={"dedup": False})
    assert index_location(off) is None
    given = BuildConfig(name="nightly", history={"index": "redis://cache:6379/2?prefix=mine"})
    assert index_location(given) == "redis://cache:6379/2?prefix=mine"


def test_a_machine_wide_redis_url_gets_the_dataset_as_prefix(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEEDFORGE_REDIS_URL", "redis://:s3cret@cache:6380/1")
    location = index_location(BuildConfig(name="nightly"))
    assert location == "redis://:s3cret@cache:6380/1?prefix=seedforge:nightly"
    assert "s3cret" not in shown_location(location) and "cache:6380" in shown_location(location)
    monkeypatch.setenv("SEEDFORGE_REDIS_URL", "rediss://cache/0?prefix=shared")
    assert (
        index_location(BuildConfig(name="nightly")) == "rediss://cache/0?prefix=shared:nightly"
    )  # datasets kept apart
