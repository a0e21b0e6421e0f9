"""The settings of `seedforge pretrain`: continued causal-LM pretraining with LoRA on a corpus's
packed blocks (a `pretrain:` section of a YAML file, or the file's top level)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from pipeline.errors import SeedforgeError
from pipeline.train.config import TrainConfig
from pipeline.train.hardware import HardwareConfig


class EmbeddingsChoice(StrEnum):
    """`PretrainConfig.train_embeddings` as a command-line choice."""

    auto = "auto"
    true = "true"
    false = "false"

    def value_for_config(self) -> Literal["auto"] | bool:
        return "auto" if self is EmbeddingsChoice.auto else self is EmbeddingsChoice.true


PROJECTIONS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


class PretrainConfig(HardwareConfig):
    """Defaults for a short domain-adaptation run: every attention and MLP projection adapted,
    a lower learning rate than instruction tuning (the model must not forget its language)."""

    base_model: str | None = Field(
        default=None, description="HF directory or GGUF; empty = embedded (or --vocab's model)"
    )
    epochs: float = Field(default=1.0, gt=0)
    max_steps: int | None = Field(default=None, ge=1, description="Stop after N optimizer steps")
    learning_rate: float = Field(default=2e-4, gt=0)
    batch_size: int = Field(default=8, ge=1, description="Blocks per optimizer step")
    micro_batch_size: int = Field(default=2, ge=1, description="Blocks per forward pass")
    warmup_steps: int = Field(default=20, ge=0, description="Linear warmup, at most a tenth of the steps")
    weight_decay: float = Field(default=0.0, ge=0)
    max_grad_norm: float = Field(default=1.0, ge=0, description="Gradient clipping; 0 = off")
    lora_r: int = Field(default=8, ge=1)
    lora_alpha: int = Field(default=32, ge=1)
    lora_dropout: float = Field(default=0.05, ge=0, lt=1)
    target_modules: list[str] | Literal["all-linear"] = Field(default_factory=lambda: list(PROJECTIONS))
    train_embeddings: Literal["auto"] | bool = Field(
        default="auto",
        description="Train (and save with the adapter) the input embeddings and output head; "
        "auto = when the vocabulary was extended (--vocab)",
    )
    eval_blocks: int | None = Field(
        default=64, ge=1, description="Held-out blocks the perplexity covers (evenly spread); empty = all"
    )
    eval_steps: int = Field(default=50, ge=1, description="Held-out loss every N steps and at the end")
    save_steps: int = Field(default=50, ge=1, description="Resumable checkpoint every N steps")
    save_total_limit: int = Field(default=2, ge=1)
    seed: int = 42
    torch_threads: int | None = Field(default=None, description="Default: SEEDFORGE_TORCH_THREADS")

    @model_validator(mode="after")
    def _micro_batch_within_the_step(self) -> PretrainConfig:
        """As TrainConfig: a micro-batch larger than the batch is the batch."""
        self.__dict__["micro_batch_size"] = min(self.micro_batch_size, self.batch_size)
        return self

    def loop_config(self, block_size: int) -> TrainConfig:
        """The settings the shared training loop reads: one block per row, no packing (a block
        is already full), every token learned."""
        return TrainConfig(
            base_model=self.base_model,
            cutoff_len=max(block_size, 8),
            train_on_inputs=True,
            epochs=self.epochs,
            learning_rate=self.learning_rate,
            batch_size=self.batch_size,
            micro_batch_size=self.micro_batch_size,
            warmup_steps=self.warmup_steps,
            weight_decay=self.weight_decay,
            max_grad_norm=self.max_grad_norm,
            lora_r=self.lora_r,
            lora_alpha=self.lora_alpha,
            lora_dropout=self.lora_dropout,
            target_modules=self.target_modules,
            packing=False,
            eval_steps=self.eval_steps,
            save_steps=self.save_steps,
            save_total_limit=self.save_total_limit,
            seed=self.seed,
            torch_threads=self.torch_threads,
            device=self.device,
            precision=self.precision,
            gradient_checkpointing=self.gradient_checkpointing,
            load_in=self.load_in,
        )

    def embeddings_trained(self, vocab_extended: bool) -> bool:
        return vocab_extended if self.train_embeddings == "auto" else self.train_embeddings


def load_pretrain_config(path: Path) -> PretrainConfig:
    """A YAML file of PretrainConfig fields, at its top level or under `pretrain:`."""
    from pipeline.yaml_input import read_yaml_mapping, validate_yaml

    if not path.is_file():
        raise SeedforgeError("config file not found", path=path)
    data, text = read_yaml_mapping(path, contents="pretrain settings")
    if set(data) == {"pretrain"} and isinstance(data["pretrain"], dict):
        return validate_yaml(PretrainConfig, data["pretrain"], text, path, under=("pretrain",))
    return validate_yaml(PretrainConfig, data, text, path)
