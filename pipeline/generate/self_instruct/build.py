"""The one entry point of a self-instruct run, for `seedforge generate self-instruct` and the
build-dataset flow alike: seeds -> a curator that knows them -> the run folder, the journal and
the endpoint -> batches until done. Callers watch through the hooks and write what they need."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Protocol

from pipeline.curate.config import CurateConfig
from pipeline.curate.curator import Curator
from pipeline.curate.index import CurationIndex
from pipeline.generate.self_instruct.batch import BatchFn, SelfInstructRun, generate_batch
from pipeline.generate.self_instruct.config import GenerateConfig
from pipeline.generate.self_instruct.earlier import FIRST_BUILD, EarlierBuilds
from pipeline.generate.self_instruct.loop import SelfInstructResult, run_self_instruct
from pipeline.generate.self_instruct.parallel import Launch
from pipeline.generate.self_instruct.seeds import load_seed_tasks
from pipeline.io import run_path
from pipeline.llm.config import LLMConfig
from pipeline.llm.endpoint import Endpoint, open_endpoint
from pipeline.llm.journal_location import open_journal
from pipeline.llm.step import Progress, StepRunner
from pipeline.records import SeedTask
from pipeline.score.batches import BatchScorer
from pipeline.score.config import ScoreConfig
from pipeline.score.probe import check_judge
from pipeline.score.run import rubric_of


class SelfInstructSections(Protocol):
    """The sections of a run config a self-instruct run reads (BuildConfig and its kin)."""

    @property
    def generate(self) -> GenerateConfig: ...

    @property
    def llm(self) -> LLMConfig: ...

    @property
    def curate(self) -> CurateConfig: ...


def _judge(
    score: ScoreConfig | None, generator: Endpoint, log_path: Path
) -> AbstractContextManager[Endpoint | None]:
    """The judge's endpoint: none when scoring is off, the generator's unless `score.llm` names one."""
    if score is None or not score.enabled:
        return nullcontext(None)
    if score.llm is None:
        return nullcontext(generator)
    return open_endpoint(score.llm, log_path=log_path)


def build(
    config: SelfInstructSections,
    build_id: str,
    *,
    batch_fn: BatchFn = generate_batch,
    launch: Launch | None = None,
    on_seeds: Callable[[list[SeedTask]], None] | None = None,
    on_endpoint: Callable[[Endpoint], None] | None = None,
    on_batch: Callable[[SelfInstructResult], None] | None = None,
    progress: Progress | None = None,
    earlier: EarlierBuilds = FIRST_BUILD,
    index: CurationIndex | None = None,
) -> SelfInstructResult:
    """Run self-instruct for `config`; `build_id` names the run folder (DATA_DIR/runs/BUILD_ID,
    where an embedded server writes its log) and goes into every record's lineage.

    `earlier` and `index` are what earlier builds of a dataset leave: the build number (the
    sampling), their instructions (the pool, the screen) and their records, which curation
    rejects duplicates of. The curator stages what it keeps in `index`; the caller commits
    or aborts.

    Seeds are read first, so a bad seed file fails before anything is created or started."""
    score: ScoreConfig | None = getattr(config, "score", None)
    rubric = rubric_of(score) if score is not None and score.enabled else None  # a bad rubric fails first
    seeds = load_seed_tasks(config.generate.seeds)
    if on_seeds:
        on_seeds(seeds)
    curator = Curator(config.curate, index=index)
    curator.add_seeds(seeds)
    # the folder is made when something is written; the endpoint is opened before the journal, so
    # a bad endpoint leaves neither behind
    log_path = run_path(build_id) / "llm-server.log"
    with (
        open_endpoint(config.llm, log_path=log_path) as endpoint,
        open_journal() as journal,
        _judge(score, endpoint, log_path.with_name("judge-server.log")) as judge,
    ):
        if on_endpoint:
            on_endpoint(endpoint)
        scorer = None
        if judge is not None and score is not None and rubric is not None:
            judging = StepRunner(judge, score.judge_llm(config.llm), journal, progress=progress)
            check_judge(judging, score, rubric=rubric)  # a judge that cannot score fails before generation
            scorer = BatchScorer(score, judging, rubric)
        run = SelfInstructRun(
            seeds,
            config.generate,
            config.llm,
            endpoint,
            journal,
            build_id,
            progress=progress,
            earlier=earlier,
        )
        result = run_self_instruct(
            run, curator, batch_fn=batch_fn, launch=launch, on_batch=on_batch, scorer=scorer
        )
        if scorer is not None:
            result.quality_scores = scorer.finish()
            result.usage.merge(scorer.usage)
        return result
