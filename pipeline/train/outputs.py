"""What a training run leaves beside its adapter: metrics.json, loss.png and the run card
(run_card.md for people, run_card.json for tools). Each file is written aside and renamed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipeline.io import write_atomic, write_json_atomic
from pipeline.report.plots import loss_curve

METRICS, LOSS_PNG, CARD_MD, CARD_JSON = "metrics.json", "loss.png", "run_card.md", "run_card.json"


def _rows(pairs: list[tuple[str, Any]]) -> list[str]:
    return ["| | |", "| --- | --- |"] + [f"| {name} | {value} |" for name, value in pairs]


def run_card_markdown(card: dict[str, Any]) -> str:
    data, result, dataset = card["data"], card["result"], card["dataset"]
    lines = [f"# LoRA run card: {card['adapter_dir']}", ""]
    lines += _rows(
        [
            ("base model", f"`{card['base_model']}`"),
            (
                "dataset",
                f"`{dataset.get('path')}`"
                + (f" ({dataset['name']} v{dataset['version']})" if dataset.get("version") else ""),
            ),
            ("dataset sha256", f"`{dataset.get('sha256')}`"),
            ("template", card["template"]),
            ("train / validation records", f"{data['train']['examples']} / {data['validation']['examples']}"),
            (
                "longer than cutoff",
                f"{data['train']['longer_than_cutoff']} "
                f"({card['hyperparameters']['overlength']}), dropped "
                f"{data['train']['dropped'] or 'none'}",
            ),
            ("optimizer steps", f"{result['steps']} ({result['epochs']:.2f} epochs)"),
            ("final train loss", f"{result['final_train_loss']:.4f}"),
            (
                "validation loss",
                "-" if result["validation_loss"] is None else f"{result['validation_loss']:.4f}",
            ),
            ("trainable parameters", f"{result['trainable_parameters']:,}"),
            ("tokens/s (non-padding)", result["tokens_per_second"]),
            ("device, precision", placement_text(result["placement"])),
            ("resumed at steps", ", ".join(map(str, result["resumed_from"])) or "-"),
        ]
    )
    lines += ["", "## Every hyperparameter", ""]
    lines += _rows([(name, f"`{value}`") for name, value in card["hyperparameters"].items()])
    lines += [
        "",
        "## Use the adapter",
        "",
        "```python",
        "from peft import PeftModel",
        "from transformers import AutoModelForCausalLM, AutoTokenizer",
        f"base = AutoModelForCausalLM.from_pretrained({card['base_model']!r})",
        f"model = PeftModel.from_pretrained(base, {card['adapter_dir']!r})",
        f"tokenizer = AutoTokenizer.from_pretrained({card['adapter_dir']!r})",
        "```",
        "",
        "Prompts must use the training template; the model ends its answer with EOS "
        f"(`{card['eos_token']}`).",
        "",
    ]
    return "\n".join(lines)


def write_run_outputs(
    out_dir: Path,
    metrics: dict[str, Any],
    card: dict[str, Any],
    markdown: Callable[[dict[str, Any]], str] = run_card_markdown,
) -> None:
    """`markdown` renders the card for people (`seedforge pretrain` has its own)."""
    write_json_atomic(out_dir / METRICS, metrics)
    write_atomic(out_dir / LOSS_PNG, loss_curve(metrics["history"], evals=metrics["evals"]))
    write_json_atomic(out_dir / CARD_JSON, card)
    write_atomic(out_dir / CARD_MD, markdown(card))


# what a run card's "result" shows of a run's metrics (fine-tuning adds its adapter's size)
CARD_RESULT_KEYS = (
    "steps",
    "epochs",
    "final_train_loss",
    "validation_loss",
    "trainable_parameters",
    "tokens_per_second",
    "seconds",
    "resumed_from",
    "placement",
)


def placement_text(placement: dict[str, Any]) -> str:
    """`cpu, bf16` and what else the run computed under (quantised base, checkpointing)."""
    parts = [placement["device"], placement["precision"]]
    if placement.get("load_in"):
        parts.append(f"base {placement['load_in']}")
    if placement.get("gradient_checkpointing"):
        parts.append("gradient checkpointing")
    if placement.get("processes", 1) > 1:
        parts.append(f"{placement['processes']} processes")
    return ", ".join(parts)


def card_result(metrics: dict[str, Any], *extra: str) -> dict[str, Any]:
    return {key: metrics[key] for key in (*CARD_RESULT_KEYS, *extra)}


def software_versions() -> dict[str, str]:
    import peft
    import torch
    import transformers

    return {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__}
