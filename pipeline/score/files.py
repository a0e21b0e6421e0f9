"""The scored quality step's files: records in (a JSON list or JSONL, as `seedforge curate`
reads them), the settings file, and the outputs written together or not at all.

Outputs: OUT (the records that go on, scored ones with `lineage.quality`, as full records with
lineage), `NAME.rejected.jsonl` (dropped records with score and reason), `NAME.report.md` and
`NAME.report.json` beside it (`pipeline.io.sidecar`: NAME is x for x.jsonl, x.json for x.json)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from pipeline.curate.io import RecordWriter, read_items, to_record
from pipeline.errors import SeedforgeError
from pipeline.io import AtomicFiles, sidecar
from pipeline.llm.config import LLMConfig
from pipeline.records import Record
from pipeline.score.config import ScoreConfig
from pipeline.score.run import ScoreOutcome
from pipeline.settings import resolve_path
from pipeline.yaml_input import read_yaml_mapping, yaml_line


@dataclass(frozen=True)
class ScorePaths:
    out: Path
    rejected: Path
    report: Path  # Markdown
    report_json: Path

    @classmethod
    def beside(cls, out: str | Path) -> ScorePaths:
        out = Path(out)
        return cls(
            out,
            sidecar(out, "rejected.jsonl"),
            sidecar(out, "report.md"),
            sidecar(out, "report.json"),
        )


def read_records(source: str | Path) -> list[Record]:
    """Every record of the file; a bad one raises SeedforgeError naming the file and line."""
    path = Path(source)
    return [to_record(item, path, line) for line, item in read_items(path)]


def _validate(model: type[BaseModel], data: Any, text: str, path: Path, prefix: tuple[str, ...]) -> Any:
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = prefix + tuple(first["loc"])
        field = ".".join(str(part) for part in loc)
        raise SeedforgeError(f"{field}: {first['msg']}", path=path, line=yaml_line(text, loc)) from None


def load_score_config(path: str | Path) -> tuple[ScoreConfig, LLMConfig | None]:
    """The settings from a YAML file: a run config's `score:` section (and its `llm:` section,
    the generator's endpoint that the judge falls back to), or a file of the score settings
    alone. A relative `rubric` is relative to the file."""
    path = Path(path)
    if not path.is_file():
        raise SeedforgeError("config file not found", path=path)
    data, text = read_yaml_mapping(path, contents="score settings (or a run config with score:)")
    generator = None
    if "score" in data:
        config = _validate(ScoreConfig, data["score"], text, path, ("score",))
        if data.get("llm") is not None:
            generator = _validate(LLMConfig, data["llm"], text, path, ("llm",))
    elif "name" in data or "generate" in data:
        raise SeedforgeError("this run config has no score: section", path=path, line=1)
    else:
        config = _validate(ScoreConfig, data, text, path, ())
    if config.rubric is not None and not config.rubric.is_absolute():
        config.rubric = resolve_path(config.rubric, path.parent)
    return config, generator


def write_outputs(outcome: ScoreOutcome[Record], paths: ScorePaths, report_extra: dict[str, Any]) -> None:
    """The records that go on, the rejected ones and the reports, all replaced together."""
    assert outcome.report is not None
    report = {**report_extra, **outcome.report.as_dict(), "summary": outcome.summary()}
    with AtomicFiles() as files:
        kept = RecordWriter(files.open(paths.out), paths.out)
        for record in outcome.records_out():
            kept.write(record.model_dump(mode="json"))
        kept.close()
        rejected = files.open(paths.rejected)
        for item in outcome.rejected:
            rejected.write(json.dumps(item.model_dump(mode="json"), ensure_ascii=False) + "\n")
        files.open(paths.report).write(outcome.report.markdown())
        files.open(paths.report_json).write(json.dumps(report, ensure_ascii=False, indent=1) + "\n")
        files.commit()
