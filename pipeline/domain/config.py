"""The domain-adapt flow's form: one settings block for each stage of the chain."""

from __future__ import annotations

from pydantic import Field

from pipeline.config import PipelineConfig, demo_config
from pipeline.corpus.config import CorpusConfig
from pipeline.pretrain.config import PretrainConfig
from pipeline.settings import StrictModel


def _instruction_defaults() -> PipelineConfig:
    return demo_config().model_copy(update={"name": "medical-sft"})


class DomainAdaptParams(StrictModel):
    """Corpus → (vocabulary) → continued pretraining → instruction build → fine-tune → evaluate.
    Rerun with the same settings, every finished stage is reused and an interrupted one resumes."""

    name: str = Field(
        default="medical", description="Corpus name; the chain's folder is DATA_DIR/domain/NAME"
    )
    paths: list[str] = Field(
        default_factory=lambda: ["seeds/corpora/medical_zh"],
        description="Domain documents: files or directories; relative to the project folder",
    )
    corpus: CorpusConfig = Field(default_factory=lambda: CorpusConfig(block_size=256, heldout_fraction=0.1))
    vocab_add: int = Field(
        default=0, ge=0, description="New Chinese tokens to learn from the corpus; 0 keeps the vocabulary"
    )
    vocab_min_frequency: int = Field(default=2, ge=1, description="Times a new token must occur")
    pretrain: PretrainConfig = Field(default_factory=PretrainConfig)
    general_text: str | None = Field(
        default=None, description="General text for the forgetting check; default: the shipped one"
    )
    dataset: str | None = Field(
        default=None,
        description="Instruction data you already have (a dataset version or name): fine-tune and "
        "evaluate on it instead of building one",
    )
    instructions: PipelineConfig = Field(
        default_factory=_instruction_defaults,
        description="The instruction build, fine-tune and evaluation; the base model is the "
        "domain-pretrained one",
    )
