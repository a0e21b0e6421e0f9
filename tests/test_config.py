from pathlib import Path

import pytest

from pipeline.config import PipelineConfig, load_config
from pipeline.errors import SeedforgeError


def test_yaml_config_loads_with_defaults(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("name: nightly\ngenerate:\n  target: 12\n", encoding="utf-8")
    config = load_config(path)
    assert config.name == "nightly"
    assert config.generate.target == 12
    assert config.curate.rouge_threshold == PipelineConfig().curate.rouge_threshold


def test_bad_value_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("name: x\ngenerate:\n  target: 5\n  seeds_per_prompt: -1\n", encoding="utf-8")
    with pytest.raises(SeedforgeError) as info:
        load_config(path)
    assert f"{path}:4" in str(info.value)
    assert "generate.seeds_per_prompt" in str(info.value)


def test_unknown_field_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("name: x\ncurate:\n  rouge: 0.5\n", encoding="utf-8")
    with pytest.raises(SeedforgeError, match=r"run.yaml:3: curate.rouge"):
        load_config(path)


def test_broken_yaml_names_line(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("name: x\ngenerate: [\n  target: 1\n", encoding="utf-8")
    with pytest.raises(SeedforgeError, match=r"run.yaml:\d+: not valid YAML"):
        load_config(path)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(SeedforgeError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")


def test_shipped_demo_config_matches_the_demo() -> None:
    from pipeline.config import SEEDS_DIR, demo_config

    config = load_config(SEEDS_DIR / "configs" / "demo.yaml")
    assert config.generate.seeds.resolve() == demo_config().generate.seeds.resolve()
    assert config.model_dump(exclude={"generate": {"seeds"}}) == \
        demo_config().model_dump(exclude={"generate": {"seeds"}})
