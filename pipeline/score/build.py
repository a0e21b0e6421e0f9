"""`build`: the scored quality step over a file of records, what `seedforge score` (and a flow)
runs. Input and rubric are read first, so bad input fails before a server starts or a request
goes out; then the judge endpoint is opened (the embedded model when it names no base_url),
probed with one request, and every record scored through the journal
(`DATA_DIR/journal.sqlite3`); outputs appear together at the end, nothing on failure."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import SeedforgeError
from pipeline.llm.config import LLMConfig
from pipeline.llm.endpoint import Endpoint, open_endpoint
from pipeline.llm.journal_location import open_journal
from pipeline.llm.step import Progress, StepRunner
from pipeline.records import QualityScore, Record
from pipeline.score.config import ScoreConfig
from pipeline.score.files import ScorePaths, read_records, write_outputs
from pipeline.score.probe import check_judge
from pipeline.score.run import ScoreOutcome, rubric_of, score_records
from pipeline.settings import data_dir, settings
from pipeline.user_files import check_output_files


@dataclass
class ScoreBuild:
    """One scoring run over a file: the outcome, the probe's score, where the outputs went."""

    outcome: ScoreOutcome[Record]
    probe: QualityScore
    paths: ScorePaths
    records_in: int

    def summary(self) -> str:
        return f"{self.outcome.summary()} -> {self.paths.out}"


def build(
    source: str | Path,
    out: str | Path,
    config: ScoreConfig,
    *,
    generator: LLMConfig | None = None,
    journal_path: Path | None = None,
    log_dir: Path | None = None,
    on_endpoint: Callable[[Endpoint], None] | None = None,
    progress: Progress | None = None,
) -> ScoreBuild:
    """Score the records of `source` into `out` (and `NAME.rejected.jsonl`, `NAME.report.md`,
    `NAME.report.json` beside it). The judge is `config.llm`, else `generator` (the caller's
    generator endpoint), else the default LLM settings. Raises SeedforgeError (a
    `ScoreSetupError` when the judge fails the probe) before anything is written."""
    paths = ScorePaths.beside(out)
    sidecars: dict[str, str | Path | None] = {
        "rejected": paths.rejected,
        "report": paths.report,
        "report json": paths.report_json,
    }
    check_output_files({"--out": paths.out, **sidecars}, {})  # --out may be the input: read first
    check_output_files(sidecars, {"input": source})
    records = read_records(source)
    if not records:  # nothing to score: say so before the judge's probe is paid for
        raise SeedforgeError("no records to score", path=source)
    rubric = rubric_of(config)
    llm = config.judge_llm(generator)
    log_path = (log_dir or data_dir() / "logs") / "score-judge-server.log"
    if not (llm.base_url or settings().openai_base_url):  # the embedded server will log there
        log_path.parent.mkdir(parents=True, exist_ok=True)
    with open_endpoint(llm, log_path=log_path) as endpoint:
        if on_endpoint is not None:
            on_endpoint(endpoint)
        probe = check_judge(endpoint, config, llm, rubric=rubric)
        with open_journal(journal_path) as journal:
            runner = StepRunner(endpoint, llm, journal, progress=progress)
            outcome = score_records(records, config, runner, rubric=rubric)
    write_outputs(
        outcome,
        paths,
        {
            "input": str(source),
            "output": str(paths.out),
            "records_in": len(records),
            "probe": probe.model_dump(),
        },
    )
    return ScoreBuild(outcome, probe, paths, len(records))
