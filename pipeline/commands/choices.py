"""The fixed choices of command options, as Enums so that `--help` lists them and a wrong value
is a usage error that names them. Each mirrors a stage config's `Literal` (tests check they
agree), spelled here so `seedforge --help` imports no stage."""

from __future__ import annotations

from enum import StrEnum

import typer


class Language(StrEnum):
    en = "en"
    zh = "zh"


class Compare(StrEnum):
    """What exact dedup and the novelty rule compare (`CurateConfig.compare`)."""

    prompt = "prompt"
    instruction = "instruction"


class PiiAction(StrEnum):
    """`PIIConfig.action`: typed placeholders, or drop the record."""

    redact = "redact"
    drop = "drop"


class Overlength(StrEnum):
    """`TrainConfig.overlength`: records longer than the cutoff."""

    truncate = "truncate"
    drop = "drop"


class DType(StrEnum):
    """Weights of a merged model (`pipeline.train.export.DTYPES`)."""

    float32 = "float32"
    bfloat16 = "bfloat16"
    float16 = "float16"


class Device(StrEnum):
    """`HardwareConfig.device`: where training computes."""

    auto = "auto"
    cpu = "cpu"
    cuda = "cuda"
    mps = "mps"


class Precision(StrEnum):
    """`HardwareConfig.precision`: the compute dtype (fp16 is loss-scaled)."""

    auto = "auto"
    fp32 = "fp32"
    bf16 = "bf16"
    fp16 = "fp16"


class LoadIn(StrEnum):
    """`HardwareConfig.load_in`: a quantised frozen base (QLoRA, CUDA only)."""

    four_bit = "4bit"
    eight_bit = "8bit"


class Engine(StrEnum):
    """`EvaluateConfig.engine`: what generates evaluation answers."""

    transformers = "transformers"
    vllm = "vllm"


class Turns(StrEnum):
    """`DialogueConfig.turns`: 1 gives Alpaca records, 3 `messages` records."""

    one = "1"
    three = "3"


class StudyMetric(StrEnum):
    """`SizeStudyConfig.metric`: what the size study's curves measure."""

    auto = "auto"
    judge = "judge"
    rouge_l = "rouge_l"
    semantic = "semantic"


class JournalStatus(StrEnum):
    answered = "answered"
    quarantined = "quarantined"


def register(app: typer.Typer) -> None:
    """No commands here; present so every module in this package has the same shape."""
