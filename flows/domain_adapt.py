"""domain-adapt: a domain corpus → (Chinese vocabulary extension) → continued pretraining → an
instruction build, fine-tune and evaluation on the domain-pretrained model (the
seedforge-pipeline flow as a subflow), then base / domain-pretrained / tuned side by side.
Each stage publishes its report as an artifact; a rerun reuses every finished stage."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows.artifacts import publish_markdown
from flows.evaluate_adapter import evaluate
from flows.finetune import finetune
from flows.hooks import stop_child_processes
from flows.seedforge_pipeline import seedforge_pipeline
from pipeline.config import EvaluateParams, FinetuneParams, PipelineConfig
from pipeline.dataset.versions import resolve_version
from pipeline.domain.config import DomainAdaptParams
from pipeline.domain.ladder import Rung, heldout_instructions, score_rung, write_ladder
from pipeline.domain.stages import corpus_stage, domain_dir, pretrain_stage, vocab_stage
from pipeline.evaluate.run import REPORT_JSON
from pipeline.io import run_dir
from pipeline.settings import resolve_path
from pipeline.train.base_model import prepare_base_model
from pipeline.train.lora import ADAPTER
from pipeline.train.outputs import METRICS

corpus_task = task(name="build-corpus", cache_policy=NO_CACHE)(corpus_stage)
vocab_task = task(name="extend-vocabulary", cache_policy=NO_CACHE)(vocab_stage)
pretrain_task = task(name="continued-pretraining", cache_policy=NO_CACHE)(pretrain_stage)
score_task = task(name="score-model", cache_policy=NO_CACHE)(score_rung)


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _tune_on(dataset: str, config: PipelineConfig, run_name: str) -> tuple[Path, Path]:
    """Fine-tune and evaluate on an existing dataset version (subflows). A rerun keeps a finished
    training run and evaluation; an interrupted training run continues from its newest checkpoint."""
    version_path = resolve_version(dataset)
    adapter = run_dir(run_name) / "train" / ADAPTER
    if not (adapter.parent / METRICS).is_file():
        trained = finetune(
            FinetuneParams(dataset=str(version_path), train=config.train, run_name=run_name, resume=True)
        )
        adapter = Path(trained["adapter_dir"])
    if not (adapter.parent / "evaluation" / REPORT_JSON).is_file():
        evaluate(
            EvaluateParams(
                name=run_name,
                dataset=str(version_path),
                adapter_dir=str(adapter),
                train=config.train,
                evaluate=config.evaluate,
                curate=config.curate,
                judge=config.llm,
            )
        )
    return version_path, adapter


@flow(
    name="domain-adapt",
    log_prints=True,
    on_cancellation=[stop_child_processes],
    on_crashed=[stop_child_processes],
)
def domain_adapt(params: DomainAdaptParams = DomainAdaptParams()) -> dict[str, Any]:
    """Adapt the base model to a domain: clean corpus, vocabulary, continued pretraining,
    then instruction tuning on top; compare base, domain-pretrained and tuned."""
    corpus_dir = corpus_task(params.name, params.paths, params.corpus)
    publish_markdown(params.name, "corpus-report", _read(corpus_dir / "report.md"), f"Corpus {corpus_dir}")
    vocab = vocab_task(params.name, corpus_dir, params.vocab_add, params.vocab_min_frequency)
    if vocab is not None:
        publish_markdown(params.name, "vocab-report", _read(vocab / "report.md"), f"Vocabulary {vocab}")
    pretrain_config = params.pretrain.model_copy(update={"base_model": params.corpus.base_model})
    pretrained = pretrain_task(params.name, corpus_dir, vocab, pretrain_config, params.general_text)
    out = Path(pretrained["out_dir"])
    publish_markdown(params.name, "pretrain-report", _read(out / "run_card.md"), f"Pretraining {out}")

    instructions = params.instructions.model_copy(deep=True)
    instructions.train.base_model = str(out)
    if params.dataset:
        version_path, adapter = _tune_on(params.dataset, instructions, f"domain-{params.name}-{out.name}")
    else:
        built = seedforge_pipeline(instructions)
        version_path, adapter = Path(built["outputs"]["dataset version"]), Path(built["outputs"]["adapter"])

    records = heldout_instructions(str(version_path))
    general = resolve_path(params.general_text) if params.general_text else None
    if general is None and "source" in pretrained["perplexity"].get("general", {}):
        general = Path(pretrained["perplexity"]["general"]["source"])
    work = domain_dir(params.name) / "ladder"
    rungs = [
        Rung("base", prepare_base_model(params.corpus.base_model)),
        Rung("domain-pretrained", pretrained["merged"]),
        Rung("pretrained + tuned", pretrained["merged"], adapter),
    ]
    rows = [
        score_task(rung, corpus_dir, work, general=general, records=records, train_config=instructions.train)
        for rung in rungs
    ]
    markdown = write_ladder(rows, work, f"Domain adaptation `{params.name}`")
    publish_markdown(params.name, "domain-ladder", markdown, "Base, domain-pretrained and tuned models")
    return {
        "corpus": str(corpus_dir),
        "vocab": str(vocab) if vocab else None,
        "pretrain": {k: pretrained[k] for k in ("out_dir", "perplexity", "reused", "merged")},
        "instructions": {"dataset": str(version_path), "adapter": str(adapter)},
        "ladder": rows,
    }
