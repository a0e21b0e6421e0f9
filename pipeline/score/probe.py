"""`check_judge`: one scoring request for an obviously good record before any run, so a judge
that cannot return the score schema (an HTTP error, prose instead of JSON, a score outside
1-5) stops the run with a clear message instead of leaving every record unscored.

The probe is always sent: it goes through a throwaway journal, so an answer journaled by an
earlier run cannot vouch for an endpoint that has changed since."""

from __future__ import annotations

import tempfile
from pathlib import Path

from pipeline.errors import SeedforgeError
from pipeline.llm.config import LLMConfig
from pipeline.llm.endpoint import Endpoint
from pipeline.llm.journal_location import open_journal
from pipeline.llm.request import ChatResult
from pipeline.llm.step import Rejection, StepRunner, answer_json, answer_text
from pipeline.records import AlpacaRecord, Lineage, QualityScore
from pipeline.score.config import ScoreConfig
from pipeline.score.rubric import BUILTIN_RUBRIC, Rubric
from pipeline.score.step import QualityScoreStep

PROBE_RECORD = AlpacaRecord(
    instruction="What is the capital of France? Answer in one sentence.",
    output="The capital of France is Paris.",
    lineage=Lineage(generator="score_probe", language="en"),
)


class ScoreSetupError(SeedforgeError):
    """The judge endpoint cannot score records: say which one, and what it sent back."""


def check_judge(
    judge: Endpoint | StepRunner,
    config: ScoreConfig,
    llm: LLMConfig | None = None,
    *,
    rubric: Rubric | None = None,
) -> QualityScore:
    """Score `PROBE_RECORD` once with the judge (an endpoint with `llm`, default
    `config.judge_llm()`, or a runner's endpoint and settings); its `QualityScore`, else
    `ScoreSetupError` naming the endpoint and model and showing what came back."""
    endpoint, base = (judge.endpoint, judge.llm) if isinstance(judge, StepRunner) else (judge, llm)
    settings = config.greedy(base) if base is not None else config.judge_llm()
    step = QualityScoreStep(
        endpoint.model, rubric or BUILTIN_RUBRIC, answer_chars=config.answer_chars, name="score_probe"
    )
    where = f"the judge at {endpoint.base_url} (model {endpoint.model})"
    with (
        tempfile.TemporaryDirectory(prefix="seedforge-score-probe-") as folder,
        open_journal(Path(folder) / "probe.sqlite3") as journal,
    ):
        try:
            output = StepRunner(endpoint, settings, journal).run(step, [PROBE_RECORD])
        except SeedforgeError as exc:  # the endpoint refuses every request (401/403/404)
            raise ScoreSetupError(f"{where} cannot score records: {exc}") from None
    if output.parsed:
        return output.parsed[0][1]
    _, rejection = output.rejected[0]
    raise ScoreSetupError(f"{where} cannot score records: {_problem(rejection, output.results[0], settings)}")


def _problem(rejection: Rejection, result: ChatResult, settings: LLMConfig) -> str:
    text, _ = answer_text(result)
    shown = f"; it sent back: {text[:300]!r}" if text else ""
    if rejection.reason.startswith("quarantined:"):
        cause = result.error or rejection.reason.split(":", 1)[1]
        return f"no usable answer after {settings.max_attempts} attempt(s): {cause}{shown}"
    if rejection.reason == "score_out_of_range":
        score = rejection.evidence.get("score")
        return f"it answered score {score!r}, not an integer from 1 to 5{shown}"
    if rejection.reason == "truncated":
        return f"its answer was cut off at max_tokens {settings.max_tokens} before the score{shown}"
    if isinstance(answer_json(result), dict):
        return f"its JSON answer has no score{shown}"
    return f"it did not answer with the score JSON ({result.error or 'no JSON found'}){shown}"
