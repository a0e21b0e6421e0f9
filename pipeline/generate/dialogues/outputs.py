"""Writing dialogues: `.jsonl` holds full records with lineage, `.json` the plain export
(Alpaca triples, or `{"messages": [...]}` objects). Runs add to an existing file; every write
goes to a temporary file that is then renamed, so a file is never half-written. Rejected
dialogues go beside it in `NAME.rejected.jsonl`, the report in `NAME.report.json`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipeline.errors import SeedforgeError
from pipeline.io import sidecar, write_atomic
from pipeline.records import AlpacaRecord, DialogueRecord, RejectedRecord, dump_jsonl_line
from pipeline.user_files import check_output_files

Out = AlpacaRecord | DialogueRecord


def output_paths(path: Path) -> dict[str, str]:
    """Where one build writes its records, its rejections and its report."""
    return {
        "records": str(path),
        "rejected": str(sidecar(path, "rejected.jsonl")),
        "report": str(sidecar(path, "report.json")),
    }


def _export(record: Out) -> dict[str, Any]:
    if isinstance(record, AlpacaRecord):
        return record.to_alpaca()
    return {"messages": [m.model_dump() for m in record.messages]}


def existing_records(path: Path) -> list[Out]:
    """The dialogues an output file already holds (a `.json` export keeps no lineage: its
    records get a placeholder one, and their ids are recomputed from their content)."""
    if not path.exists():
        return []
    records: list[Out] = []
    for data in _read_existing(path):
        data = {**data, "lineage": data.get("lineage") or {"generator": "existing-output"}}
        records.append(
            DialogueRecord.model_validate(data) if "messages" in data else AlpacaRecord.model_validate(data)
        )
    return records


def _read_existing(path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix == ".json":
            data = json.loads(text) if text.strip() else []
            if not isinstance(data, list):
                raise SeedforgeError("existing output is not a JSON list", path=path, line=1)
            return data
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    except json.JSONDecodeError as exc:
        raise SeedforgeError(
            f"existing output is not valid JSON: {exc.msg}", path=path, line=exc.lineno
        ) from None


def check_output_path(path: Path) -> None:
    if path.suffix not in (".jsonl", ".json"):
        raise SeedforgeError("output must end in .jsonl (records with lineage) or .json (export)", path=path)
    # the output and its two siblings are written beside themselves and renamed into place:
    # a folder that cannot take them fails here, before any request is paid for
    check_output_files(
        {
            "--out": path,
            "rejections": sidecar(path, "rejected.jsonl"),
            "report": sidecar(path, "report.json"),
        },
        {},
    )
    if path.exists():
        _read_existing(path)  # fail before any request is made


def write_outputs(
    path: Path, kept: list[Out], rejected: list[RejectedRecord], report: dict[str, Any]
) -> None:
    if path.suffix == ".json":
        data = _read_existing(path) if path.exists() else []
        data += [_export(record) for record in kept]
        write_atomic(path, json.dumps(data, ensure_ascii=False, indent=1) + "\n")
    else:
        before = path.read_text(encoding="utf-8") if path.exists() else ""
        write_atomic(path, before + "".join(dump_jsonl_line(record) for record in kept))
    rejected_path = sidecar(path, "rejected.jsonl")
    before = rejected_path.read_text(encoding="utf-8") if rejected_path.exists() else ""
    write_atomic(rejected_path, before + "".join(dump_jsonl_line(r) for r in rejected))
    write_atomic(sidecar(path, "report.json"), json.dumps(report, ensure_ascii=False, indent=1) + "\n")
