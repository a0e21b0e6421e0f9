"""What a pretraining run writes beside its adapter: metrics.json, loss.png and the run card
(through the same writer as `seedforge train`), and pretrain.json, the summary that marks the
directory as a pretraining output (`seedforge train --base-model OUT` uses its merged/ model)."""

from __future__ import annotations

import math
from typing import Any

from pipeline.records import utc_now
from pipeline.train.checkpoint import TrainState, fingerprint
from pipeline.train.loop import TrainingRun
from pipeline.train.outputs import card_result, placement_text, software_versions


def perplexity(loss: float | None) -> float | None:
    return None if loss is None else round(math.exp(min(loss, 50.0)), 4)


def metrics(state: TrainState, run: TrainingRun, extra: dict[str, Any]) -> dict[str, Any]:
    seconds = state.train_seconds
    final_val = state.evals[-1]["val_loss"] if state.evals else None
    return {
        "steps": state.step,
        "total_steps": run.schedule.total_steps,
        "epochs": state.step / run.schedule.steps_per_epoch,
        "train_blocks": len(run.train),
        "heldout_blocks": len(run.validation),
        "trained_tokens": state.trained_tokens,
        "input_tokens": state.input_tokens,
        "seconds": round(seconds, 2),
        "tokens_per_second": round(state.input_tokens / seconds, 1) if seconds else None,
        "final_train_loss": state.history[-1]["train_loss"] if state.history else None,
        "validation_loss": final_val,
        "history": state.history,
        "evals": state.evals,
        "trainable_parameters": sum(p.numel() for p in run.trainable),
        "resumed_from": state.resumed_from,
        "placement": run.placement.describe(),
        "skipped_steps": state.skipped_steps,
        "run_fingerprint": fingerprint(run.identity),
        **extra,
    }


def card(summary: dict[str, Any], run: TrainingRun, values: dict[str, Any]) -> dict[str, Any]:
    return {
        "created_at": utc_now(),
        "kind": "continued pretraining (causal LM, LoRA)",
        "adapter_dir": summary["adapter"],
        "merged_dir": summary["merged"],
        "base_model": summary["base_model"],
        "vocab": summary["vocab"],
        "corpus": summary["corpus"],
        "blocks": summary["blocks"],
        "perplexity": summary["perplexity"],
        "hyperparameters": {
            **summary["config"],
            "gradient_accumulation_steps": run.schedule.accumulation,
            "effective_warmup_steps": run.schedule.warmup_steps,
            "steps_per_epoch": run.schedule.steps_per_epoch,
            "total_steps": run.schedule.total_steps,
            "optimizer": "AdamW (torch)",
            "lr_scheduler": "linear warmup then linear decay to 0",
        },
        "result": card_result(values),
        "software": software_versions(),
    }


def _number(value: Any) -> str:
    return "-" if value is None else f"{value:,.3f}" if isinstance(value, float) else str(value)


def _rows(pairs: list[tuple[str, Any]]) -> list[str]:
    return ["| | |", "| --- | --- |"] + [f"| {name} | {value} |" for name, value in pairs]


def card_markdown(card: dict[str, Any]) -> str:
    corpus, result, blocks = card["corpus"], card["result"], card["blocks"]
    lines = [f"# Pretraining run card: {card['adapter_dir']}", ""]
    lines += _rows(
        [
            ("base model", f"`{card['base_model']}`"),
            ("extended vocabulary", f"`{card['vocab']}`" if card["vocab"] else "-"),
            ("corpus", f"{corpus['name']} v{corpus['version']} (`{corpus['path']}`)"),
            (
                "blocks",
                f"{blocks['train']} train / {blocks['heldout_used']} of {blocks['heldout']} held out, "
                f"{blocks['block_size']} tokens each ({blocks['source']})",
            ),
            ("optimizer steps", f"{result['steps']} ({result['epochs']:.2f} epochs)"),
            ("final train loss", _number(result["final_train_loss"])),
            ("trainable parameters", f"{result['trainable_parameters']:,}"),
            ("tokens/s", _number(result["tokens_per_second"])),
            ("device, precision", placement_text(result["placement"])),
            ("resumed at steps", ", ".join(map(str, result["resumed_from"])) or "-"),
        ]
    )
    lines += ["", "## Perplexity (before → after)", ""]
    for name, entry in card["perplexity"].items():
        if entry.get("skipped"):
            lines.append(f"- {name}: skipped ({entry['skipped']})")
        else:
            change = f"{_number(entry['before'])} → {_number(entry['after'])}"
            lines.append(f"- {name}: {change} on {entry['blocks']} blocks")
    lines += ["", "## Every hyperparameter", ""]
    lines += _rows([(name, f"`{value}`") for name, value in card["hyperparameters"].items()])
    lines += [
        "",
        "## Use the model",
        "",
        f"`{card['merged_dir']}` is a complete HF model (with its tokenizer). Tune it with "
        "`seedforge train DATASET --base-model` and this run's directory, or load it with "
        "`AutoModelForCausalLM.from_pretrained`.",
        "",
    ]
    return "\n".join(lines)
