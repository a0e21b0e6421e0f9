"""`seedforge pretrain`: continued causal-LM pretraining of a base model (or an extended-vocabulary
model) on a corpus's blocks, through the same loop, checkpoints and resume as `seedforge train`.
Held-out perplexity is measured before and after, on the domain corpus and on a general text (what
the model may have forgotten). Writes OUT/adapter, OUT/merged (a complete model for chaining),
metrics.json, loss.png, the run card and pretrain.json (written last: it marks a finished run)."""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.corpus.store import CorpusManifest, load_manifest, resolve_corpus
from pipeline.errors import SeedforgeError
from pipeline.io import publish_dir, staging_dir, write_json_atomic
from pipeline.pretrain.base import choose_base
from pipeline.pretrain.blocks import BlockExamples, corpus_blocks, spread, text_blocks
from pipeline.pretrain.config import PretrainConfig
from pipeline.pretrain.model import ADAPTER, lora_model, save_adapter
from pipeline.pretrain.report import card, card_markdown, metrics, perplexity
from pipeline.settings import seeds_dir
from pipeline.train.base_model import PRETRAIN_SUMMARY, configure_torch, load_tokenizer, pad_id_of
from pipeline.train.checkpoint import (
    TrainState,
    find_resume_checkpoint,
    finished_run,
    list_checkpoints,
    load_checkpoint,
    restore_rng,
    resumes_latest,
    run_identity,
)
from pipeline.train.distributed import launched_world
from pipeline.train.hardware import resolve_placement
from pipeline.train.loop import Hooks, Schedule, TrainingRun, mean_loss, run_loop
from pipeline.train.outputs import write_run_outputs
from pipeline.user_files import check_output_folder

MERGED = "merged"


def default_general_text() -> Path:
    return seeds_dir() / "corpora" / "general_en.txt"


@dataclass
class PretrainHooks:
    on_start: Callable[[int, int, dict[str, Any]], None] | None = None
    on_step: Callable[[int, int, float], None] | None = None
    on_eval: Callable[[int, float], None] | None = None
    on_note: Callable[[str], None] | None = None


@dataclass
class PretrainResult:
    out_dir: Path
    adapter_dir: Path
    merged_dir: Path
    metrics: dict[str, Any]
    summary: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def schedule_for(blocks: int, config: PretrainConfig) -> Schedule:
    per_epoch = math.ceil(blocks / config.batch_size)
    total = config.max_steps or max(1, math.ceil(config.epochs * per_epoch))
    warmup = min(config.warmup_steps, total // 10)  # as `seedforge train`: a short run barely warms up
    accumulation = max(1, math.ceil(config.batch_size / config.micro_batch_size))
    return Schedule(per_epoch, total, warmup, accumulation)


def _refuse_used_out_dir(out_dir: Path, resuming: bool) -> None:
    if not resuming and ((out_dir / ADAPTER).exists() or list_checkpoints(out_dir)):
        raise SeedforgeError(
            "already holds a pretraining run (adapter/ or checkpoints/): pass --resume to continue "
            "it, or choose another --out",
            path=out_dir,
        )


def _finished(out_dir: Path, metrics: dict[str, Any]) -> PretrainResult:
    summary = json.loads((out_dir / PRETRAIN_SUMMARY).read_text(encoding="utf-8"))
    adapter, merged = Path(summary["adapter"]), Path(summary["merged"])
    return PretrainResult(out_dir, adapter, merged, metrics, summary, summary["notes"])


def _corpus_info(path: Path, manifest: CorpusManifest) -> dict[str, Any]:
    return {
        "name": manifest.name,
        "version": manifest.version,
        "path": str(path.resolve()),
        "created_at": manifest.created_at,
        "tokenizer_fingerprint": manifest.tokenizer.fingerprint,
    }


def _general(spec: Path | None, tokenizer: Any, block_size: int, notes: list[str]) -> Any:
    path = spec or default_general_text()
    if spec is None and not path.is_file():
        notes.append(
            f"general-text perplexity skipped: no general text ({path} is not there; pass --general)"
        )
        return None
    blocks = text_blocks(path, tokenizer, block_size)
    if len(blocks) == 0:
        notes.append(f"general-text perplexity skipped: {path} is shorter than one {block_size}-token block")
        return None
    return path, blocks


def _perplexities(model: Any, sets: dict[str, Any], pad_id: int) -> dict[str, float | None]:
    return {name: perplexity(mean_loss(model, examples, pad_id)) for name, examples in sets.items()}


def _merge(adapter_dir: Path, out_dir: Path) -> Path:
    from pipeline.train.export import merge_adapter

    target = out_dir / MERGED
    with staging_dir(target) as staging:  # a resumed run replaces the merged model it left before
        merge_adapter(adapter_dir, staging)
        publish_dir(staging, target)
    return target


def pretrain(
    corpus: str | Path,
    out_dir: Path,
    config: PretrainConfig,
    *,
    vocab: Path | None = None,
    general: Path | None = None,
    resume: str | Path | bool | None = None,
    hooks: PretrainHooks | None = None,
) -> PretrainResult:
    import torch
    from transformers import get_linear_schedule_with_warmup

    if launched_world() > 1:
        raise SeedforgeError(
            "seedforge pretrain runs in one process; data parallel (accelerate launch) is for seedforge train"
        )
    hooks = hooks or PretrainHooks()
    wall_started = time.monotonic()
    corpus_dir = resolve_corpus(corpus)
    manifest = load_manifest(corpus_dir)
    out_dir = Path(out_dir)
    check_output_folder(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    latest = resumes_latest(resume)  # the newest checkpoint, unless the run finished already
    checkpoint = None if latest else find_resume_checkpoint(out_dir, resume)
    _refuse_used_out_dir(out_dir, latest or checkpoint is not None)
    placement = resolve_placement(config)  # a device or precision that is not there: before loading
    configure_torch(config.torch_threads)
    base = choose_base(config.base_model, vocab, manifest)
    tokenizer = load_tokenizer(base.model)
    blocks = corpus_blocks(corpus_dir, manifest, tokenizer, out_dir)
    if len(blocks.train) == 0:
        raise SeedforgeError(
            f"corpus {manifest.name} v{manifest.version} has no full {blocks.block_size}-token training "
            "block to learn from",
            path=corpus_dir,
        )
    notes: list[str] = []
    train = BlockExamples(blocks.train)
    heldout = BlockExamples(spread(blocks.heldout, config.eval_blocks))
    if not len(heldout):
        notes.append("domain perplexity skipped: the corpus has no held-out block")
    general_found = _general(general, tokenizer, blocks.block_size, notes)
    general_set = BlockExamples(spread(general_found[1], config.eval_blocks)) if general_found else None
    eval_sets = {"domain": heldout} if len(heldout) else {}
    if general_set is not None:
        eval_sets["general"] = general_set
    for note in notes:
        if hooks.on_note:
            hooks.on_note(note)

    loop_config = config.loop_config(blocks.block_size)
    schedule = schedule_for(len(train), config)
    train_embeddings = config.embeddings_trained(vocab_extended=base.vocab is not None)
    corpus_info = _corpus_info(corpus_dir, manifest)
    identity = run_identity(
        config,
        placement,
        ignored={"eval_blocks"},
        base_model=base.model,
        corpus=f"{manifest.name}@v{manifest.version}:{manifest.created_at}",
        train_blocks=len(train),
        train_embeddings=train_embeddings,
    )
    if latest:
        done = finished_run(out_dir, identity, last_written=PRETRAIN_SUMMARY)
        if done is not None:
            return _finished(out_dir, done)
        checkpoint = find_resume_checkpoint(out_dir, resume)
    random.seed(config.seed)
    torch.manual_seed(config.seed)  # LoRA's A matrices are drawn here
    model = lora_model(base.model, config, train_embeddings, placement)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=config.learning_rate, weight_decay=config.weight_decay)
    scheduler = get_linear_schedule_with_warmup(  # type: ignore[no-untyped-call]
        optimizer, schedule.warmup_steps, schedule.total_steps
    )
    pad_id = pad_id_of(tokenizer)
    run = TrainingRun(
        model,
        optimizer,
        scheduler,
        loop_config,
        schedule,
        train,
        heldout,
        pad_id,
        out_dir,
        identity,
        placement,
        placement.scaler(),
    )
    # LoRA starts as the identity (B = 0) and saved embeddings start as copies: this is the base
    before = _perplexities(model, eval_sets, pad_id)
    state = TrainState()
    if checkpoint is not None:
        state, rng = load_checkpoint(checkpoint, model, optimizer, scheduler, identity, run.scaler)
        restore_rng(rng)
        state.resumed_from.append(state.step)
    if hooks.on_start:
        hooks.on_start(schedule.total_steps, state.step, {"before": before, "blocks": len(train)})
    state = run_loop(run, state, Hooks(on_step=hooks.on_step, on_eval=hooks.on_eval))
    after = _perplexities(model, eval_sets, pad_id)

    adapter_dir, adapter = save_adapter(model, tokenizer, out_dir, train_embeddings)
    merged_dir = _merge(adapter_dir, out_dir)
    values = metrics(state, run, {"adapter_tensors": adapter["tensors"], "adapter_bytes": adapter["bytes"]})
    values["wall_seconds"] = round(time.monotonic() - wall_started, 2)
    ppl: dict[str, Any] = {}
    for name, examples in (("domain", heldout), ("general", general_set)):
        if name in eval_sets and examples is not None:
            ppl[name] = {"before": before[name], "after": after[name], "blocks": len(examples)}
        else:
            ppl[name] = {"skipped": next((n for n in notes if n.startswith(name)), "no blocks")}
    if general_found:
        ppl["general"]["source"] = str(general_found[0])
    summary = {
        "corpus": corpus_info,
        "vocab": None if base.vocab is None else str(base.vocab),
        "base_model": base.model,
        "train_embeddings": train_embeddings,
        "blocks": {
            "train": len(train),
            "heldout": len(blocks.heldout),
            "heldout_used": len(heldout),
            "block_size": blocks.block_size,
            "source": blocks.source,
        },
        "perplexity": ppl,
        "tokens_per_second": values["tokens_per_second"],
        "placement": values["placement"],
        "steps": state.step,
        "final_train_loss": values["final_train_loss"],
        "adapter": str(adapter_dir),
        "merged": str(merged_dir),
        "notes": notes,
        "config": config.model_dump(mode="json"),
    }
    values["perplexity"] = ppl
    write_run_outputs(out_dir, values, card(summary, run, values), card_markdown)
    write_json_atomic(out_dir / PRETRAIN_SUMMARY, summary)
    return PretrainResult(out_dir, adapter_dir, merged_dir, values, summary, notes)
