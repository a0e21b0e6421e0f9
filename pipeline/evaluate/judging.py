"""Running the LLM judge over an evaluation's answers: which endpoint, which settings, and the
one step run through the journaled client."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

from pipeline.evaluate.config import EvaluateConfig
from pipeline.evaluate.evalsets import EvalItem
from pipeline.evaluate.judge import ItemJudgement, JudgeStep, collect_judgements, judge_questions
from pipeline.llm.config import LLMConfig
from pipeline.llm.endpoint import Endpoint, open_endpoint
from pipeline.llm.journal_location import open_journal
from pipeline.llm.step import StepRunner

# an open endpoint, the settings of one to open (the embedded model when it names no base_url),
# or None for no judge
Judge = Endpoint | LLMConfig | None


def judge_config(judge: Judge, settings: EvaluateConfig) -> LLMConfig:
    """The judge's LLM settings: greedy and seeded, so a rerun replays from the journal."""
    base_config = judge if isinstance(judge, LLMConfig) else LLMConfig()
    return base_config.model_copy(
        update={"temperature": 0.0, "top_p": 1.0, "seed": 0, "max_tokens": settings.judge_max_tokens}
    )


def judge_endpoint(judge: Judge, config: LLMConfig, log_dir: Path) -> AbstractContextManager[Endpoint]:
    """The endpoint the caller opened, else one opened (or started) for the judge alone."""
    if isinstance(judge, Endpoint):
        return nullcontext(judge)
    return open_endpoint(config, log_path=log_dir / "judge-server.log")


def run_judge(
    items: list[EvalItem],
    answers: dict[str, list[str]],
    judge: Judge,
    settings: EvaluateConfig,
    log_dir: Path,
    *,
    journal_path: Path | None,
    progress: Callable[[str, str], None],
) -> tuple[list[ItemJudgement], dict[str, Any]]:
    """Per-item judgements (base vs tuned) and what the judge run did, for the report."""
    questions = judge_questions(items, answers["base"], answers["tuned"])
    step = JudgeStep(settings.judge_answer_chars)
    config = judge_config(judge, settings)
    with (
        open_journal(journal_path) as journal,
        judge_endpoint(judge, config, log_dir) as endpoint,
    ):
        if not isinstance(judge, Endpoint):
            progress("evaluate", f"judge {endpoint.model} at {endpoint.base_url}: {len(questions)} requests")
        runner = StepRunner(endpoint, config, journal)
        output = runner.run(step, questions)
    judgements, failures = collect_judgements(items, [*output.parsed, *output.rejected])
    return judgements, {
        "endpoint": endpoint.base_url,
        "model": endpoint.model,
        "embedded": endpoint.embedded,
        "requests": len(questions),
        "failures": failures,
        "llm": runner.stats.as_dict(),
    }
