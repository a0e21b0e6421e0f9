"""The dialogue stage's one entry point, called by `seedforge generate dialogues` and by the
`ingest-knowledge-base` flow: one incremental build over a stored knowledge base — pick the
pending entries, generate, write the outputs, remember what was done."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from pipeline.errors import SeedforgeError
from pipeline.generate.dialogues.config import DialogueConfig
from pipeline.generate.dialogues.coverage import coverage
from pipeline.generate.dialogues.loop import generate_dialogues
from pipeline.generate.dialogues.outputs import (
    check_output_path,
    existing_records,
    output_paths,
    write_outputs,
)
from pipeline.generate.dialogues.result import DialogueBuild, DialogueRun
from pipeline.io import run_path
from pipeline.kb.store import KBStore
from pipeline.llm.config import LLMConfig
from pipeline.llm.endpoint import open_endpoint
from pipeline.llm.journal_location import open_journal
from pipeline.records import Record
from pipeline.settings import data_dir


def build_id() -> str:
    return f"dialogues-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%fZ')}"


def build(
    kb: str,
    out: Path,
    settings: DialogueConfig,
    llm: LLMConfig,
    on_round: Callable[[DialogueRun], None] | None = None,
) -> DialogueBuild:
    """Dialogues for the KB's new or changed entries (every active entry with
    `settings.regenerate`), added to `out`; the report and rejections are written beside it."""
    check_output_path(out)
    with KBStore.open_existing(data_dir(), kb) as store:
        entries = store.entries("active")
        if not entries:
            raise SeedforgeError(f"knowledge base {kb!r} has no active entries", path=store.path)
        done = store.dialogue_counts(settings.kind)
        pending = entries if settings.regenerate else [e for e in entries if e.id not in done]
        if not pending:
            return DialogueBuild(
                kb, settings, len(entries), 0, coverage(entries, done, {}), output_paths(out)
            )
        name = build_id()
        with (
            open_endpoint(llm, log_path=run_path(name) / "llm-server.log") as endpoint,
            open_journal() as journal,
        ):
            run = generate_dialogues(
                pending,
                entries,
                settings,
                llm,
                endpoint,
                journal,
                prior_attempts=store.attempt_counts(settings.kind),
                existing=existing_records(out),
                build=name,
                on_round=on_round,
            )
        cover = coverage(entries, dict(Counter(done) + run.kept_per_entry), dict(run.kept_per_entry))
        result = DialogueBuild(
            kb,
            settings,
            len(entries),
            len(pending),
            cover,
            output_paths(out),
            run=run,
            build_id=name,
            model=endpoint.model,
        )
        write_outputs(out, run.kept, run.rejected, result.report())
        # only once the file holds them do the entries count as done
        store.record_generation(
            settings.kind,
            str(out.resolve()),
            [(r.id, r.lineage.kb_entry_id or "") for r in run.kept],
            dict(run.attempts),
        )
    return result


def current_dialogues(kb: str, records: list[Record]) -> tuple[list[Record], int]:
    """The dialogues whose knowledge-base entry is still active, and how many are not: a dataset
    version made after an entry was edited or removed holds no dialogue of its old text (the
    output file and earlier versions keep them)."""
    with KBStore.open_existing(data_dir(), kb) as store:
        active = {entry.id for entry in store.entries("active")}
    current = [record for record in records if record.lineage.kb_entry_id in active]
    return current, len(records) - len(current)
