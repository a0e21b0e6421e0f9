"""One evaluation, end to end: decontaminate, answer with base and tuned, score, judge, report.

Stages run one after another on purpose: answer generation (torch) and the embedded judge
(llama.cpp) would otherwise fight over the same 2 cores. The output folder appears whole or
not at all.
"""

from __future__ import annotations

import gc
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.curate.config import CurateConfig
from pipeline.curate.views import compared_text
from pipeline.dataset.decontaminate import find_contamination
from pipeline.errors import SeedforgeError
from pipeline.evaluate.answers import AnswerRun, Decoding, generate_answers
from pipeline.evaluate.config import EvaluateConfig
from pipeline.evaluate.evalsets import EvalItem, items_from_records
from pipeline.evaluate.heldout import loss_figures
from pipeline.evaluate.judging import Judge, run_judge
from pipeline.evaluate.metrics import rouge_l
from pipeline.evaluate.models import load_tuned
from pipeline.evaluate.plots import write_plots
from pipeline.evaluate.report import publish_artifact, render_markdown
from pipeline.evaluate.semantic import SemanticSimilarity
from pipeline.evaluate.summary import item_rows, summarize
from pipeline.io import publish_dir, staging_dir
from pipeline.records import AlpacaRecord, Lineage, Record, utc_now
from pipeline.report.progress import stage_line
from pipeline.train.config import TrainConfig
from pipeline.train.hardware import HardwareConfig, resolve_placement

REPORT_JSON, REPORT_MD, ITEMS, PLOTS = "report.json", "report.md", "items.jsonl", "plots"


@dataclass
class EvalRequest:
    """Everything one evaluation needs besides the items."""

    base_model: str
    adapter_dir: Path
    out_dir: Path
    train: TrainConfig = field(default_factory=TrainConfig)
    settings: EvaluateConfig = field(default_factory=EvaluateConfig)
    judge: Judge = None
    training_records: list[Record] | None = None  # decontaminate against these when given
    training_source: str | None = None
    curate: CurateConfig = field(default_factory=CurateConfig)
    eval_set_name: str = "eval"
    eval_set_path: str | None = None
    journal_path: Path | None = None
    overwrite: bool = False
    progress: Callable[[str, str], None] = stage_line


def check_out_dir(out_dir: Path, overwrite: bool) -> None:
    """Refuse before any heavy work, not after it."""
    if out_dir.exists() and not out_dir.is_dir():  # --overwrite replaces a report folder, not a file
        raise SeedforgeError("--out is a file; expected a directory", path=out_dir)
    if out_dir.exists() and any(out_dir.iterdir()) and not overwrite:
        raise SeedforgeError(
            "output folder exists and is not empty (pass --overwrite to replace it)", path=out_dir
        )


def decontaminate_items(
    items: list[EvalItem], request: EvalRequest
) -> tuple[list[EvalItem], list[dict[str, Any]]]:
    if not request.training_records:
        return items, []
    compare = request.curate.compare
    hits = find_contamination(
        ((r.id, compared_text(r, compare)) for r in request.training_records),
        ((i.id, i.instruction if compare == "instruction" else i.prompt_text) for i in items),
        request.curate.rouge_threshold,
    )
    dropped = {h.item_id for h in hits}
    return [i for i in items if i.id not in dropped], [h.as_dict() for h in hits]


def _reference_records(items: list[EvalItem]) -> list[AlpacaRecord]:
    return [
        AlpacaRecord(
            id=i.id,
            instruction=i.instruction,
            input=i.input,
            output=i.reference,
            lineage=Lineage(generator="eval"),
        )
        for i in items
        if i.reference
    ]


def _answer_and_loss(items: list[EvalItem], request: EvalRequest) -> tuple[AnswerRun, dict[str, Any] | None]:
    settings = request.settings
    placement = resolve_placement(HardwareConfig(device=settings.device))  # before any loading
    decoding = Decoding(
        max_new_tokens=settings.max_new_tokens,
        batch_size=settings.generation_batch_size,
        temperature=settings.temperature,
    )
    request.progress(
        "evaluate",
        f"answering {len(items)} items with base and tuned on {settings.engine} ({placement.device}, "
        f"batch {decoding.batch_size}, max {decoding.max_new_tokens} new tokens)",
    )
    if settings.engine == "vllm":
        answers = _vllm_answers(items, request, decoding)
    tuned = load_tuned(request.base_model, request.adapter_dir, request.train.torch_threads, placement)
    if settings.engine == "transformers":
        answers = generate_answers(tuned, items, request.train.template, decoding)
    with_reference = _reference_records(items)
    loss = loss_figures(tuned, with_reference, request.train) if with_reference else None
    del tuned
    gc.collect()  # free the model's memory before a judge server starts
    return answers, loss


def _vllm_answers(items: list[EvalItem], request: EvalRequest, decoding: Decoding) -> AnswerRun:
    from pipeline.evaluate.models import read_adapter_config
    from pipeline.evaluate.vllm_answers import generate_answers_vllm
    from pipeline.train.base_model import load_tokenizer

    rank = int(read_adapter_config(request.adapter_dir)["r"])
    tokenizer = load_tokenizer(request.base_model)
    return generate_answers_vllm(
        request.base_model, request.adapter_dir, rank, items, request.train.template, tokenizer, decoding
    )


def _semantic(settings: EvaluateConfig) -> SemanticSimilarity | None:
    if not settings.semantic_similarity:
        return None
    return SemanticSimilarity(settings.embedding_model, settings.multilingual_similarity)


def _reference_scores(
    items: list[EvalItem], answers: dict[str, list[str]], scorer: SemanticSimilarity | None
) -> dict[str, dict[str, list[float | None]]]:
    indices = [i for i, item in enumerate(items) if item.reference]
    scores: dict[str, dict[str, list[float | None]]] = {}
    for side, texts in answers.items():
        rouge = [
            rouge_l(text, item.reference) if item.reference else None
            for text, item in zip(texts, items, strict=True)
        ]
        semantic: list[float | None] = [None] * len(items)
        if scorer and indices:
            values = scorer.similarities(
                [texts[i] for i in indices], [items[i].reference or "" for i in indices]
            )
            for i, value in zip(indices, values, strict=True):
                semantic[i] = value
        scores[side] = {"rouge_l": rouge, "semantic": semantic}
    return scores


def _write_outputs(report: dict[str, Any], request: EvalRequest, staging: Path) -> list[Path]:
    plots = write_plots(report, staging / PLOTS)
    links = {p.stem: f"{PLOTS}/{p.name}" for p in plots}
    markdown = render_markdown(report, links, request.settings.report_examples)
    (staging / REPORT_MD).write_text(markdown, encoding="utf-8")
    (staging / REPORT_JSON).write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    with (staging / ITEMS).open("w", encoding="utf-8") as handle:
        for row in report["items"]:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return plots


def run_evaluation(items: list[EvalItem], request: EvalRequest) -> dict[str, Any]:
    """Evaluate tuned vs base on `items`; writes report.json, report.md, items.jsonl and plots/
    to request.out_dir and returns the report."""
    out_dir = Path(request.out_dir)
    check_out_dir(out_dir, request.overwrite)
    clean, dropped = decontaminate_items(items, request)
    if dropped:
        request.progress("evaluate", f"dropped {len(dropped)} items near a training item")
    if not clean:
        raise SeedforgeError("the eval set is empty" + (" after decontamination" if dropped else ""))
    with staging_dir(out_dir) as staging:
        answers_run, loss = _answer_and_loss(clean, request)
        answers = {"base": answers_run.base.answers, "tuned": answers_run.tuned.answers}
        request.progress("evaluate", "scoring against references (ROUGE-L, semantic similarity)")
        scorer = _semantic(request.settings)
        scores = _reference_scores(clean, answers, scorer)
        judgements, judge_info = None, None
        if request.settings.judge and request.judge is not None:
            judgements, judge_info = run_judge(
                clean,
                answers,
                request.judge,
                request.settings,
                staging,
                journal_path=request.journal_path,
                progress=request.progress,
            )
        rows = item_rows(clean, answers, scores, judgements)
        overall, by_category = summarize(rows)
        report = {
            "schema": "seedforge.eval/1",
            "created_at": utc_now(),
            "eval_set": {
                "name": request.eval_set_name,
                "path": request.eval_set_path,
                "items": len(clean),
                "by_source": dict(Counter(i.source for i in clean)),
            },
            "models": {"base": request.base_model, "adapter": str(request.adapter_dir)},
            "decontamination": {
                "checked_against": request.training_source if request.training_records else None,
                "threshold": request.curate.rouge_threshold,
                "compare": request.curate.compare,
                "dropped": dropped,
            },
            "generation": {
                "engine": "transformers (batched, left padding, one loaded model; base = adapter disabled)",
                "template": answers_run.template,
                "decoding": "greedy"
                if not request.settings.temperature
                else f"sampling t={request.settings.temperature}",
                "max_new_tokens": answers_run.decoding.max_new_tokens,
                "batch_size": answers_run.decoding.batch_size,
                "base": answers_run.base.stats(),
                "tuned": answers_run.tuned.stats(),
            },
            "loss": loss,
            # which measure each language's answers got (None: semantic similarity off)
            "semantic_similarity": scorer.measures([i.reference for i in clean if i.reference])
            if scorer
            else None,
            "judge": judge_info,
            "overall": overall,
            "by_category": by_category,
            "items": rows,
        }
        plots = _write_outputs(report, request, staging)
        report["outputs"] = {
            "dir": str(out_dir),
            "report_md": str(out_dir / REPORT_MD),
            "report_json": str(out_dir / REPORT_JSON),
            "items": str(out_dir / ITEMS),
            "plots": [str(out_dir / PLOTS / p.name) for p in plots],
        }
        publish_dir(staging, out_dir)
    return report


def figures(report: dict[str, Any]) -> dict[str, Any]:
    """The report without per-item rows: what a run summary or a note needs."""
    return {k: v for k, v in report.items() if k != "items"}


def evaluate_build(
    heldout_records: list[Record],
    base_model: str,
    adapter_dir: Path,
    config: Any,
    out_dir: Path,
    judge: Judge,
    *,
    train_records: list[Record] | None = None,
    publish_key: str | None = None,
) -> dict[str, Any]:
    """The pipeline's evaluation step: tuned vs base on a build's held-out split.

    `config` is the run's PipelineConfig (its train, evaluate and curate sections are used);
    `judge` is an open Endpoint, an LLMConfig (the embedded model when it names no base_url)
    or None for no judge. With `train_records` the split is re-checked against them. With
    `publish_key` the report is also published as a Prefect markdown artifact (call it inside
    a flow). Returns the report's figures (everything but per-item rows)."""
    if not heldout_records:
        raise SeedforgeError("the held-out set is empty")
    request = EvalRequest(
        base_model=base_model,
        adapter_dir=Path(adapter_dir),
        out_dir=Path(out_dir),
        train=config.train,
        settings=config.evaluate,
        judge=judge,
        curate=config.curate,
        training_records=train_records,
        training_source="the build's train split" if train_records else None,
        eval_set_name=f"{config.name} held-out split",
        eval_set_path=None,
    )
    report = run_evaluation(items_from_records(heldout_records), request)
    if publish_key:
        plots = [Path(p) for p in report["outputs"]["plots"]]
        report["outputs"]["artifact_id"] = publish_artifact(report, plots, publish_key)
    return figures(report)
