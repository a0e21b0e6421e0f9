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
    from pipeline.config import demo_config
    from pipeline.settings import SEEDS_DIR

    config = load_config(SEEDS_DIR / "configs" / "demo.yaml")
    assert config.generate.seeds.resolve() == demo_config().generate.seeds.resolve()
    assert config.model_dump(exclude={"generate": {"seeds"}}) == demo_config().model_dump(
        exclude={"generate": {"seeds"}}
    )


@pytest.mark.parametrize("name", ["demo.yaml", "nightly.yaml"])
def test_every_shipped_config_loads(name: str) -> None:
    from pipeline.settings import SEEDS_DIR

    assert (SEEDS_DIR / "configs" / name).is_file()
    load_config(SEEDS_DIR / "configs" / name)


def test_a_misspelt_key_in_a_nested_section_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("name: x\ncurate:\n  minhash:\n    threshhold: 0.5\n", encoding="utf-8")
    with pytest.raises(SeedforgeError, match=r"run.yaml:4: curate.minhash.threshhold"):
        load_config(path)


def test_a_top_level_list_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("- name: x\n", encoding="utf-8")
    with pytest.raises(SeedforgeError, match=r"run.yaml:1: expected a mapping of config sections"):
        load_config(path)


def test_relative_seeds_are_relative_to_the_config_file(tmp_path: Path) -> None:
    path = tmp_path / "conf" / "run.yaml"
    path.parent.mkdir()
    path.write_text("generate:\n  seeds: ../my_seeds.jsonl\n", encoding="utf-8")
    assert load_config(path).generate.seeds == (tmp_path / "my_seeds.jsonl").resolve()


def test_the_run_config_keeps_its_sections_and_flow_forms() -> None:
    """Stage configs live next to their stage; the run config composes the same models."""
    from pipeline.config import EvaluateParams, FinetuneParams
    from pipeline.curate.config import CurateConfig
    from pipeline.dataset.config import HistoryConfig
    from pipeline.evaluate.config import EvaluateConfig
    from pipeline.llm.config import LLMConfig
    from pipeline.review.config import ReviewConfig
    from pipeline.score.config import ScoreConfig
    from pipeline.train.config import TrainConfig

    fields = PipelineConfig.model_fields
    assert list(fields) == [
        "name",
        "llm",
        "generate",
        "curate",
        "history",
        "score",
        "evaluate",
        "exports",
        "license",
        "review",
        "train",
    ]
    assert fields["review"].annotation is ReviewConfig
    assert fields["llm"].annotation is LLMConfig
    assert fields["score"].annotation is ScoreConfig
    assert fields["curate"].annotation is CurateConfig
    assert fields["history"].annotation is HistoryConfig
    assert fields["evaluate"].annotation is EvaluateConfig
    assert fields["train"].annotation is TrainConfig
    assert list(FinetuneParams.model_fields) == [
        "dataset",
        "train",
        "run_name",
        "subset",
        "out_dir",
        "resume",
    ]
    assert list(EvaluateParams.model_fields) == [
        "name",
        "dataset",
        "adapter_dir",
        "train",
        "evaluate",
        "curate",
        "judge",
    ]


@pytest.mark.parametrize("name", [".", "..", ".hidden", "a/b", ""])
def test_a_name_that_is_no_folder_of_its_own_is_refused(tmp_path: Path, name: str) -> None:
    """The name is a folder under DATA_DIR/datasets and DATA_DIR/index: "." or ".." wrote a
    version and an index into their parents."""
    path = tmp_path / "run.yaml"
    path.write_text(f'generate:\n  target: 5\nname: "{name}"\n', encoding="utf-8")
    with pytest.raises(SeedforgeError, match=r"run.yaml:3: name"):
        load_config(path)


@pytest.mark.parametrize("name", ["nightly", "med_qa.v2", "zh-2026", "_scratch", "3rd"])
def test_ordinary_names_load(tmp_path: Path, name: str) -> None:
    path = tmp_path / "run.yaml"
    path.write_text(f"name: {name}\n", encoding="utf-8")
    assert load_config(path).name == name


def test_a_base_url_without_a_scheme_is_bad_input_not_an_endpoint_failure(tmp_path: Path) -> None:
    """`base_url: 127.0.0.1:9/v1` ended as "nothing answers … is the server running?", exit 3."""
    path = tmp_path / "typo.yaml"
    path.write_text("name: t\nllm:\n  base_url: 127.0.0.1:9/v1\n", encoding="utf-8")
    with pytest.raises(SeedforgeError, match=r"typo.yaml:3: llm.base_url: .*not a URL") as caught:
        load_config(path)
    assert caught.value.exit_code == 2


@pytest.mark.parametrize("text", ["", "\n", "# nothing here yet\n"])
def test_an_empty_config_file_is_refused_not_run_with_every_default(tmp_path: Path, text: str) -> None:
    path = tmp_path / "run.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SeedforgeError, match=r"run.yaml: empty: expected a mapping of config sections"):
        load_config(path)
    path.write_text("{}\n", encoding="utf-8")
    assert load_config(path).name  # every default, asked for
