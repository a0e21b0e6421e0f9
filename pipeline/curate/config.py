"""Every curation default in one place: the `curate:` section of a run config, shared by YAML
files, the Prefect forms and `seedforge curate`."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from pipeline.settings import StrictModel

Step = Literal["filters", "output_checks", "structure", "pii", "exact", "minhash", "novelty"]
STEPS: tuple[Step, ...] = ("filters", "output_checks", "structure", "pii", "exact", "minhash", "novelty")
PIIType = Literal["email", "phone", "us_ssn", "cn_resident_id", "credit_card", "ip_address"]
PII_TYPES: tuple[PIIType, ...] = ("email", "phone", "us_ssn", "cn_resident_id", "credit_card", "ip_address")


class FilterConfig(StrictModel):
    """Instruction filters from the papers: Alpaca/self-instruct for English, BELLE for Chinese.
    For a dialogue they apply to the first user turn."""

    min_words: int = Field(default=4, ge=1, description="Alpaca: more than 3 words")
    max_words: int = Field(default=150, ge=1, description="Alpaca: at most 150 words")
    blacklist: list[str] = Field(
        default_factory=lambda: [
            "image",
            "images",
            "graph",
            "graphs",
            "picture",
            "pictures",
            "file",
            "files",
            "map",
            "maps",
            "draw",
            "plot",
            "go to",
            "video",
            "audio",
            "music",
            "flowchart",
            "diagram",
        ],
        description="Alpaca's words, matched on word boundaries, case-insensitively",
    )
    zh_blacklist: list[str] = Field(
        default_factory=lambda: [
            "图像",
            "图片",
            "照片",
            "文件",
            "图表",
            "图层",
            "曲线图",
            "折线图",
            "直线图",
            "柱形图",
            "饼状图",
            "链接",
            "http",
        ],
        description="BELLE's terms, matched as substrings",
    )
    zh_min_chars: int = Field(default=4, ge=1, description="BELLE: more than 3 characters")
    zh_max_chars_with_input: int = Field(
        default=100, ge=1, description="BELLE: with an input, under this many characters"
    )
    zh_max_chars_with_examples: int = Field(
        default=150, ge=1, description="BELLE: with an input, when the instruction gives examples (示例/例子)"
    )
    zh_max_chars: int | None = Field(default=None, description="Without an input (BELLE: none)")
    drop_ai_mentions: bool = Field(default=True, description="GPT / ChatGPT / OpenAI (BELLE)")
    drop_write_a_program: bool = True


class OutputCheckConfig(StrictModel):
    """Checks on the answer side (Alpaca output, every assistant turn of a dialogue)."""

    language_mismatch: bool = True
    language_min_letters: int = Field(
        default=24, ge=1, description="Shorter answers are too short to identify reliably"
    )
    language_min_confidence: float = Field(default=0.8, gt=0, le=1)
    languages: list[str] = Field(
        default_factory=lambda: ["en", "zh", "fr", "de", "es", "it", "pt", "ja", "ko", "ru"],
        description="ISO 639-1 codes the language detector chooses between",
    )
    truncation_heuristics: bool = Field(
        default=True,
        description="Besides finish_reason=length: unclosed code fences, "
        "answers that stop on a comma or a dangling connective",
    )
    repetition_share: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="An answer with more of its words inside repeated 8-word runs than this is a "
        "loop (repetitive_output); 1 turns the check off",
    )


class StructureConfig(StrictModel):
    """What a reader sees at a glance (English and Chinese): each check can be turned off."""

    chat_rules: bool = Field(
        default=True,
        description="Dialogues: user and assistant alternating from the user, ending with the assistant",
    )
    prompt_leakage: bool = Field(default=True, description="The generation prompt inside a field")
    markup_debris: bool = Field(default=True, description="JSON seams, stray braces, HTML tags")
    fragments: bool = Field(default=True, description="Instructions that start or end mid-sentence")
    missing_input: bool = Field(
        default=True,
        description="Instructions pointing at an input the record lacks ('the following article')",
    )
    task_form: bool = Field(default=True, description="Instructions that neither request nor ask anything")
    list_continuation: bool = Field(default=True, description="A numbered list dealt out over fields")
    role_confusion: bool = Field(default=True, description="Outputs that restate or continue the input")
    cut_output: bool = Field(default=True, description="Outputs cut mid-word or mid-list")
    answer_type: bool = Field(
        default=True, description="Label for writing, prose for a label, no code / number / translation"
    )


class PIIConfig(StrictModel):
    action: Literal["redact", "drop"] = "redact"
    types: list[PIIType] = Field(default_factory=lambda: list(PII_TYPES))
    phone_regions: list[str] = Field(
        default_factory=lambda: ["US", "CN"],
        description="Regions whose national formats count as phone numbers; +CC numbers always do",
    )


class MinHashConfig(StrictModel):
    threshold: float = Field(default=0.8, gt=0, le=1, description="Jaccard of shingle sets")
    num_perm: int = Field(default=128, ge=16, le=1024)
    word_ngram: int = Field(default=3, ge=1, description="Shingle size for space-delimited text")
    cjk_ngram: int = Field(default=3, ge=1, description="Character shingle size for CJK text")
    text: Literal["record", "prompt"] = Field(
        default="record", description="The whole record (prompt and answers) or the prompt side"
    )
    seed: int = 1


class CurateConfig(StrictModel):
    steps: list[Step] = Field(
        default_factory=lambda: list(STEPS), description="Which steps run (always in the canonical order)"
    )
    rouge_threshold: float = Field(
        default=0.7, ge=0, le=1, description="Novelty: keep only if ROUGE-L F1 <= this"
    )
    compare: Literal["instruction", "prompt"] = Field(
        default="prompt",
        description="Text compared by exact dedup and the novelty rule: the "
        "instruction alone, or the prompt side (instruction + input; a dialogue's first user turn)",
    )
    filters: FilterConfig = Field(default_factory=FilterConfig)
    output_checks: OutputCheckConfig = Field(default_factory=OutputCheckConfig)
    structure: StructureConfig = Field(default_factory=StructureConfig)
    pii: PIIConfig = Field(default_factory=PIIConfig)
    minhash: MinHashConfig = Field(default_factory=MinHashConfig)

    @field_validator("steps")
    @classmethod
    def _canonical_order(cls, steps: list[Step]) -> list[Step]:
        return [step for step in STEPS if step in steps]


def parse_steps(text: str) -> list[Step]:
    """`--steps novelty,exact` -> canonical list; unknown names raise ValueError."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [name for name in names if name not in STEPS]
    if unknown or not names:
        raise ValueError(
            f"unknown curation step(s) {', '.join(unknown) or '(none given)'}; choose from {', '.join(STEPS)}"
        )
    return [step for step in STEPS if step in names]
