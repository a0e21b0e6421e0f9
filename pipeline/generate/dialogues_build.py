"""One incremental dialogue build over a stored knowledge base, as the CLI and the Prefect flow
run it: pick the pending entries, generate, write the outputs, remember what was done."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pipeline.config import LLMConfig, data_dir
from pipeline.errors import SeedforgeError
from pipeline.generate.dialogues import DialogueConfig, DialogueOut, DialogueRun, generate_dialogues
from pipeline.generate.dialogues_coverage import coverage
from pipeline.generate.dialogues_output import check_output_path, existing_records, sibling, write_outputs
from pipeline.kb.store import KBStore
from pipeline.llm.endpoint import open_endpoint
from pipeline.llm.journal import Journal
from pipeline.records import RejectedRecord


@dataclass
class DialogueBuild:
    report: dict[str, Any]
    coverage_text: str
    kept: list[DialogueOut] = field(default_factory=list)
    rejected: list[RejectedRecord] = field(default_factory=list)


def build_dialogues(kb: str, out: Path, settings: DialogueConfig, llm: LLMConfig,
                    on_round: Callable[[DialogueRun], None] | None = None) -> DialogueBuild:
    check_output_path(out)
    with KBStore.open_existing(data_dir(), kb) as store:
        entries = store.entries("active")
        if not entries:
            raise SeedforgeError(f"knowledge base {kb!r} has no active entries", path=store.path)
        done = store.dialogue_counts(settings.kind)
        pending = entries if settings.regenerate else [e for e in entries if e.id not in done]
        report: dict[str, Any] = {"kb": kb, "turns": settings.turns, "target": settings.target,
                                  "entries": len(entries), "pending": len(pending), "attempted": 0,
                                  "kept": 0, "grounded_rate": None}
        outputs = {"records": str(out), "rejected": str(sibling(out, "rejected.jsonl")),
                   "report": str(sibling(out, "report.json"))}
        if not pending:
            cover = coverage(entries, done, {})
            report.update(coverage=cover.as_dict(), outputs=outputs)
            return DialogueBuild(report, cover.render())
        build = f"dialogues-{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%S%fZ')}"
        run_dir = data_dir() / "runs" / build
        run_dir.mkdir(parents=True, exist_ok=True)
        with Journal(data_dir() / "journal.sqlite3") as journal, \
                open_endpoint(llm, log_path=run_dir / "llm-server.log") as endpoint:
            run = generate_dialogues(pending, entries, settings, llm, endpoint, journal,
                                     prior_attempts=store.attempt_counts(settings.kind),
                                     existing=existing_records(out), build=build, on_round=on_round)
        cover = coverage(entries, dict(Counter(done) + run.kept_per_entry), dict(run.kept_per_entry))
        report.update(build=build, model=endpoint.model, **run.summary(), coverage=cover.as_dict(),
                      outputs=outputs)
        write_outputs(out, run.kept, run.rejected, report)
        # only once the file holds them do the entries count as done
        store.record_generation(settings.kind, str(out.resolve()),
                                [(r.id, r.lineage.kb_entry_id or "") for r in run.kept], dict(run.attempts))
    return DialogueBuild(report, cover.render(), run.kept, run.rejected)
