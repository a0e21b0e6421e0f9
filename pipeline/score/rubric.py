"""The rubric the judge scores against: criteria and the 1-5 scale, per language.

A rubric file is YAML:

    name: house-style
    version: 2
    languages:
      en:
        criteria:
          - The instruction is clear and self-contained.
        scale:
          1: Unusable.
          ...
          5: Excellent.
      zh: ...

A record is judged with the text of its own language (`lineage.language`), else English, else
the rubric's first language. The built-in rubric (`BUILTIN_RUBRIC`) has English and Chinese.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator

from pipeline.errors import SeedforgeError
from pipeline.settings import StrictModel
from pipeline.yaml_input import read_yaml_mapping, yaml_line

SCALE = (1, 2, 3, 4, 5)


class RubricText(StrictModel):
    """The rubric in one language: what to check, and what each score means."""

    criteria: list[str] = Field(min_length=1)
    scale: dict[int, str]

    @field_validator("criteria")
    @classmethod
    def _criteria_have_text(cls, value: list[str]) -> list[str]:
        if any(not item.strip() for item in value):
            raise ValueError("every criterion needs text")
        return value

    @field_validator("scale")
    @classmethod
    def _scale_is_one_to_five(cls, value: dict[int, str]) -> dict[int, str]:
        if sorted(value) != list(SCALE):
            raise ValueError(f"the scale needs exactly the scores 1 to 5, got {sorted(value)}")
        if any(not text.strip() for text in value.values()):
            raise ValueError("every score of the scale needs a description")
        return dict(sorted(value.items()))


class Rubric(StrictModel):
    name: str = Field(min_length=1, pattern=r"^[^\s@]+$")
    version: str = Field(min_length=1, pattern=r"^[^\s@]+$")
    languages: dict[str, RubricText] = Field(min_length=1)

    @field_validator("version", mode="before")
    @classmethod
    def _version_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value

    @property
    def tag(self) -> str:
        """name@version, as scores and reports show it."""
        return f"{self.name}@{self.version}"

    def text_for(self, language: str) -> tuple[str, RubricText]:
        """The language used for a record in `language`, and the rubric's text in it."""
        for candidate in (language, "en"):
            if candidate in self.languages:
                return candidate, self.languages[candidate]
        first = next(iter(self.languages))
        return first, self.languages[first]


def load_rubric(path: str | Path) -> Rubric:
    """A rubric file; SeedforgeError naming the file and line when it cannot be used."""
    path = Path(path)
    if not path.is_file():
        raise SeedforgeError("rubric file not found", path=path)
    data, text = read_yaml_mapping(path, contents="rubric fields (name, version, languages)")
    try:
        return Rubric.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        field = ".".join(str(part) for part in loc) or "rubric"
        message = f"missing field {field}" if first["type"] == "missing" else f"{field}: {first['msg']}"
        raise SeedforgeError(message, path=path, line=_line(text, loc)) from None


def _line(text: str, loc: tuple[Any, ...]) -> int:
    """The line of the field at `loc`, else of its nearest parent (a missing field), else 1."""
    for end in range(len(loc), 0, -1):
        line = yaml_line(text, loc[:end])
        if line is not None:
            return line
    return 1


BUILTIN_RUBRIC = Rubric(
    name="seedforge-quality",
    version="1",
    languages={
        "en": RubricText(
            criteria=[
                "The instruction is clear and self-contained: a reader knows what to do without "
                "guessing and without anything that is not given.",
                "The input fits the instruction: it is the material the instruction asks about, "
                "or empty when the instruction needs none.",
                "The output is correct and complete, and it answers this instruction (with this "
                "input), not a different or more general question.",
            ],
            scale={
                1: "Unusable: the output is wrong, off-task or empty, or the instruction makes no sense.",
                2: "Poor: the output is partly wrong or incomplete, or the instruction is unclear.",
                3: "Acceptable: usable, but one criterion is only partly met.",
                4: "Good: every criterion is met, with a small flaw in wording or completeness.",
                5: "Excellent: every criterion is fully met; an expert would keep it as it is.",
            },
        ),
        "zh": RubricText(
            criteria=[
                "指令清楚、自成一体：读者无需猜测，也不需要任何未给出的信息，就知道要做什么。",
                "输入与指令相符：正是指令要处理的材料；指令不需要输入时输入为空。",
                "输出正确、完整，并且回答的是这条指令（及其输入），而不是别的或更笼统的问题。",
            ],
            scale={
                1: "不可用：输出错误、离题或为空，或者指令没有意义。",
                2: "较差：输出部分错误或不完整，或者指令不清楚。",
                3: "尚可：可以使用，但有一条标准只部分满足。",
                4: "良好：各条标准都满足，措辞或完整性上有小瑕疵。",
                5: "优秀：各条标准完全满足，专家会原样保留。",
            },
        ),
    },
)
