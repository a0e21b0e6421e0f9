"""Run configs: each stage's section, defined next to its stage, composed into the YAML file of
`seedforge build` / `seedforge pipeline` and the forms of the Prefect flows.

Machine settings (data directory, endpoint, keys) are not here: see `pipeline.settings`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field

from pipeline.curate.config import CurateConfig
from pipeline.dataset.config import ALL_FORMATS, ExportName, HistoryConfig, LicenseId
from pipeline.errors import SeedforgeError
from pipeline.evaluate.config import EvaluateConfig
from pipeline.generate.dialogues.config import DialogueConfig
from pipeline.generate.self_instruct.config import GenerateConfig
from pipeline.io import sidecar
from pipeline.llm.config import LLMConfig
from pipeline.review.config import ReviewConfig
from pipeline.score.config import ScoreConfig
from pipeline.settings import StrictModel, data_dir, resolve_path
from pipeline.study.config import SizeStudyConfig
from pipeline.train.config import TrainConfig
from pipeline.yaml_input import read_yaml_mapping, validate_yaml

__all__ = [
    "BuildConfig",
    "PipelineConfig",
    "FinetuneParams",
    "EvaluateParams",
    "KnowledgeBaseParams",
    "CurateFileParams",
    "demo_config",
    "load_config",
    # the sections, each defined by its stage
    "LLMConfig",
    "GenerateConfig",
    "CurateConfig",
    "HistoryConfig",
    "TrainConfig",
    "EvaluateConfig",
    "ExportName",
    "DialogueConfig",
]


LICENSE_HELP = "The data's licence, for dataset cards (a Hugging Face id, e.g. cc-by-4.0); null: unknown"


class BuildConfig(StrictModel):
    """One dataset build (generate -> curate -> version -> export); the YAML file of
    `seedforge build` and the Prefect form of the build flow share it. Every build of a name
    adds to the earlier ones (`history`)."""

    name: str = Field(
        default="demo",
        # not "." or "..", nor hidden: the name is a folder under DATA_DIR/datasets and index/
        pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$",
        description="Dataset name (letters, digits, _ . -, not starting with a dot): versions go to "
        "DATA_DIR/datasets/NAME/vNNNN",
    )
    llm: LLMConfig = Field(default_factory=LLMConfig)
    generate: GenerateConfig = Field(default_factory=GenerateConfig)
    curate: CurateConfig = Field(default_factory=CurateConfig)
    history: HistoryConfig = Field(default_factory=HistoryConfig)
    score: ScoreConfig = Field(
        default_factory=ScoreConfig, description="The LLM quality score of each kept record (off by default)"
    )
    evaluate: EvaluateConfig = Field(default_factory=EvaluateConfig)
    exports: list[ExportName] = Field(default_factory=lambda: list(ALL_FORMATS))
    license: LicenseId | None = Field(default=None, description=LICENSE_HELP)
    review: ReviewConfig = Field(
        default_factory=ReviewConfig,
        description="Human review before the version is published (off while review.sample is 0)",
    )


class PipelineConfig(BuildConfig):
    """A build, then LoRA training on it and evaluation of tuned vs base."""

    train: TrainConfig = Field(default_factory=TrainConfig)


class FinetuneParams(StrictModel):
    """The fine-tune flow's form: which dataset version, and how to train."""

    dataset: str = Field(
        default="demo", description="A dataset version directory, or a dataset name (its latest version)"
    )
    train: TrainConfig = Field(default_factory=TrainConfig)
    run_name: str | None = Field(default=None, description="Output folder under DATA_DIR/runs")
    subset: str | None = Field(
        default=None,
        description="A JSON list of record ids to train on (a size study's subset); "
        "default: the whole train split",
    )
    out_dir: str | None = Field(
        default=None, description="Training folder; default: DATA_DIR/runs/RUN_NAME/train"
    )
    resume: bool = Field(
        default=False, description="Continue from the newest checkpoint in the training folder"
    )


class SizeStudyParams(StrictModel):
    """The size-study flow's form."""

    dataset: str = Field(default="demo", description="Dataset version directory or name (its latest version)")
    study: SizeStudyConfig = Field(default_factory=SizeStudyConfig)
    eval_set: str | None = Field(
        default=None, description="Eval file with categories; default: the held-out split"
    )
    name: str | None = Field(
        default=None,
        description="Study folder DATA_DIR/studies/NAME (rerun with it to resume); default: DATASET",
    )
    use_deployments: bool = Field(
        default=False,
        description="Train the sizes as runs of the finetune deployment, all at once, so several workers "
        "train in parallel (a deployed study only); off: one after another as subflows",
    )


class EvaluateParams(StrictModel):
    """The evaluate flow's form: a tuned adapter against its base on the held-out split."""

    name: str = Field(default="demo", description="Names the report and its artifact")
    dataset: str = Field(default="demo", description="Dataset version directory or name")
    adapter_dir: str = Field(description="The adapter directory a fine-tune wrote")
    train: TrainConfig = Field(default_factory=TrainConfig, description="Template and cutoff used")
    evaluate: EvaluateConfig = Field(default_factory=EvaluateConfig)
    curate: CurateConfig = Field(
        default_factory=CurateConfig, description="The near-duplicate rule for decontamination"
    )
    judge: LLMConfig = Field(
        default_factory=LLMConfig, description="Judge endpoint; empty base_url = the embedded model"
    )


KB_DEFAULT_EXPORTS: tuple[ExportName, ...] = ("jsonl", "sharegpt", "openai_chat")


class KnowledgeBaseParams(StrictModel):
    """The KB flow's form."""

    kb: str = Field(default="medical", description="Knowledge-base name (store under DATA_DIR/kb)")
    paths: list[str] = Field(
        default_factory=lambda: ["seeds/kb/medical_conditions.csv"],
        description="KB files or directories; relative to the project folder",
    )
    mapping: str | None = Field(default=None, description="Field-mapping YAML/JSON file")
    dialogues: DialogueConfig = Field(default_factory=DialogueConfig)
    llm: LLMConfig = Field(default_factory=lambda: LLMConfig(max_tokens=256))
    evaluate: EvaluateConfig = Field(default_factory=EvaluateConfig)
    exports: list[ExportName] = Field(default_factory=lambda: list(KB_DEFAULT_EXPORTS))
    license: LicenseId | None = Field(default=None, description=LICENSE_HELP)


class CurateFileParams(StrictModel):
    """The curate-file flow's form: a file of records curated into kept, rejected and report
    files beside `out`; the per-record half on a Dask cluster when `dask` names one."""

    source: str = Field(
        description="JSON list or JSONL of Alpaca records or dialogues; a relative path is looked for in "
        "the project folder, then in the data directory"
    )
    out: str = Field(
        description="Kept records (.json or .jsonl), relative to the data directory; the rejected records "
        "and the report go beside it"
    )
    curate: CurateConfig = Field(default_factory=CurateConfig)
    index: str | None = Field(
        default=None,
        description="A persistent index (a directory relative to the data directory, or a redis:// URL): "
        "records must be novel against every earlier build in it, and this one is added",
    )
    build: str | None = Field(
        default=None, description="This build's name in the index; default: OUT's stem and the time"
    )
    seeds: str | None = Field(default=None, description="Seed tasks the records must also be novel against")
    jobs: int | None = Field(
        default=None,
        ge=0,
        description="Worker processes preparing records (0: none); default: one for large inputs",
    )
    dask: str | None = Field(
        default=None,
        description="Prepare records on Dask instead: local, local:N or a scheduler address tcp://HOST:8786",
    )

    def source_path(self) -> Path:
        found = resolve_path(self.source)
        return found if found.exists() else data_dir() / self.source

    def out_path(self) -> Path:
        """Under the data directory when relative: a worker's working directory may be a
        container layer that is gone with the container (the compose image's /app)."""
        return data_dir() / self.out  # an absolute `out` stays as it is

    def rejected_path(self) -> Path:
        return sidecar(self.out_path(), "rejected.jsonl")

    def report_path(self) -> Path:
        return sidecar(self.out_path(), "report.json")

    def index_location(self) -> str | None:
        if self.index is None or "://" in self.index:
            return self.index
        return str(data_dir() / self.index)


def demo_config() -> PipelineConfig:
    """Small enough to finish in minutes on 2 cores with the embedded 135M model."""
    return PipelineConfig(
        name="demo",
        llm=LLMConfig(max_tokens=320),
        generate=GenerateConfig(target=40, max_requests=120, tasks_per_request=5),
        train=TrainConfig(epochs=4, learning_rate=1e-3, batch_size=8, micro_batch_size=4),
    )


def load_config(path: str | Path, model: type[BuildConfig] = PipelineConfig) -> Any:
    """Read a YAML run config into `model`; a bad file raises SeedforgeError naming the file
    and line. A relative `generate.seeds` is relative to the file. A `seeds/...` path (the config
    file's, or its seeds) that is not there: the copy shipped with seedforge."""
    path = Path(path)
    if not path.is_file() and resolve_path(path).is_file():
        path = resolve_path(path)
    if not path.is_file():
        raise SeedforgeError("config file not found", path=path)
    data, text = read_yaml_mapping(path, contents="config sections")
    config = validate_yaml(model, data, text, path)
    if "seeds" in (data.get("generate") or {}) and not config.generate.seeds.is_absolute():
        config.generate.seeds = resolve_path(config.generate.seeds, path.parent).resolve()
    return config
