"""The `train:` section of a run config: LoRA fine-tuning hyperparameters."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from pipeline.train.hardware import HardwareConfig

TEMPLATE_NAMES = ("alpaca", "belle", "chat")


class TrainConfig(HardwareConfig):
    """LoRA fine-tuning. Defaults are alpaca-lora's `finetune.py` except train_on_inputs
    (seedforge scores answers, so prompts are masked unless asked) and warmup (capped)."""

    base_model: str | None = Field(default=None, description="HF directory or GGUF; empty = embedded")
    template: str = Field(
        default="alpaca",
        description="alpaca, belle, chat, or an alpaca-lora "
        "template .json; `messages` records always use the chat template",
    )
    cutoff_len: int = Field(default=256, ge=8)
    overlength: Literal["truncate", "drop"] = Field(
        default="truncate", description="Records longer than cutoff_len: cut (no EOS) or drop"
    )
    train_on_inputs: bool = False
    add_eos: bool = True
    val_set_size: int | float | None = Field(
        default=None,
        ge=0,
        description="Validation records (>= 1), a fraction (< 1) or 0; "
        "default alpaca-lora's 2000, at most a tenth of the records",
    )
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
        default_factory=lambda: ["q_proj", "v_proj"], description="Module names, or all-linear"
    )
    group_by_length: bool = False
    packing: bool = Field(
        default=True,
        description="Several records per row, attention kept "
        "within each record: the same loss as unpacked, less padding",
    )
    eval_steps: int = Field(default=200, ge=1, description="Validation loss every N steps and at the end")
    save_steps: int = Field(default=200, ge=1, description="Resumable checkpoint every N steps")
    save_total_limit: int = Field(default=3, ge=1)
    seed: int = 42
    torch_threads: int | None = Field(default=None, description="Default: SEEDFORGE_TORCH_THREADS")

    @model_validator(mode="after")
    def _micro_batch_within_the_step(self) -> TrainConfig:
        """A forward pass never holds more than a step: a larger micro-batch is the batch, as
        the loop runs it, so that run cards and checkpoints record what ran."""
        # through __dict__: an assignment would validate the model again, and again
        self.__dict__["micro_batch_size"] = min(self.micro_batch_size, self.batch_size)
        return self

    @field_validator("template")
    @classmethod
    def _known_template(cls, value: str) -> str:
        if value not in TEMPLATE_NAMES and not value.endswith(".json"):
            raise ValueError(
                f"unknown prompt template {value!r}; known: {', '.join(TEMPLATE_NAMES)}, "
                "or an alpaca-lora template .json file"
            )
        return value
