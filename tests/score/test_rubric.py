from pathlib import Path

import pytest

from pipeline.errors import SeedforgeError
from pipeline.score.rubric import BUILTIN_RUBRIC, load_rubric

GOOD = """\
name: house-style
version: 2
languages:
  en:
    criteria:
      - The instruction is clear.
    scale:
      1: Unusable.
      2: Poor.
      3: Acceptable.
      4: Good.
      5: Excellent.
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rubric.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_built_in_rubric_speaks_english_and_chinese() -> None:
    assert BUILTIN_RUBRIC.tag == "seedforge-quality@1"
    for language in ("en", "zh"):
        found, text = BUILTIN_RUBRIC.text_for(language)
        assert found == language and list(text.scale) == [1, 2, 3, 4, 5] and len(text.criteria) == 3
    assert "指令" in BUILTIN_RUBRIC.text_for("zh")[1].criteria[0]
    assert BUILTIN_RUBRIC.text_for("fr")[0] == "en"  # other languages: English


def test_a_rubric_file_loads_with_a_numeric_version(tmp_path: Path) -> None:
    rubric = load_rubric(write(tmp_path, GOOD))
    assert rubric.tag == "house-style@2"
    assert rubric.text_for("zh")[0] == "en"  # no Chinese text: English
    assert rubric.languages["en"].scale[5] == "Excellent."


@pytest.mark.parametrize(
    "text, line, words",
    [
        (GOOD.replace("version: 2", "version: 2: 3"), 2, "not valid YAML"),
        (GOOD.replace("name: house-style\n", ""), 1, "missing field name"),
        (GOOD.replace("      5: Excellent.\n", ""), 7, "exactly the scores 1 to 5"),
        (GOOD.replace("    criteria:\n      - The instruction is clear.\n", ""), 4, "languages.en.criteria"),
        (GOOD.replace("version: 2", "version: two words"), 2, "version"),
        (GOOD + "colour: blue\n", 13, "colour"),
        ("- a list\n", 1, "expected a mapping"),
    ],
)
def test_a_bad_rubric_file_names_the_file_and_line(tmp_path: Path, text: str, line: int, words: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(SeedforgeError) as caught:
        load_rubric(path)
    assert f"{path}:{line}:" in str(caught.value)
    assert words in str(caught.value)


def test_a_missing_rubric_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(SeedforgeError, match="rubric file not found"):
        load_rubric(tmp_path / "nope.yaml")
