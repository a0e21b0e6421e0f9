"""`seedforge generate dialogues`: patient/doctor (or customer/agent) dialogues grounded in a
knowledge base, with a grounding check and a coverage report. Incremental: only entries that
are new or changed since the last run get dialogues, unless --all."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from pipeline.commands.common import fail
from pipeline.commands.generate import generate_app
from pipeline.errors import SeedforgeError

DIALOGUE_MAX_TOKENS = 256  # one turn is a few sentences; longer answers only ramble


def _llm_config(config_file: Optional[Path], base_url: Optional[str], model: Optional[str],
                temperature: Optional[float]) -> Any:
    from pipeline.config import LLMConfig, load_config

    llm = load_config(config_file).llm if config_file else LLMConfig(max_tokens=DIALOGUE_MAX_TOKENS)
    update = {k: v for k, v in (("base_url", base_url), ("model", model), ("temperature", temperature))
              if v is not None}
    return llm.model_copy(update=update)


def _run(kb: str, out: Path, settings: Any, llm: Any) -> dict[str, Any]:
    from collections import Counter
    from datetime import datetime, timezone

    from pipeline.config import data_dir
    from pipeline.generate.dialogues import generate_dialogues
    from pipeline.generate.dialogues_coverage import coverage
    from pipeline.generate.dialogues_output import check_output_path, existing_ids, sibling, write_outputs
    from pipeline.kb.store import KBStore
    from pipeline.llm.endpoint import open_endpoint
    from pipeline.llm.journal import Journal
    from pipeline.report.progress import stage_line

    check_output_path(out)
    with KBStore.open_existing(data_dir(), kb) as store:
        entries = store.entries("active")
        if not entries:
            raise SeedforgeError(f"knowledge base {kb!r} has no active entries", path=store.path)
        done = store.dialogue_counts(settings.kind)
        pending = entries if settings.regenerate else [e for e in entries if e.id not in done]
        report: dict[str, Any] = {"kb": kb, "turns": settings.turns, "target": settings.target,
                                  "entries": len(entries), "pending": len(pending)}
        if pending:
            build = f"dialogues-{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%SZ')}"
            run_dir = data_dir() / "runs" / build
            run_dir.mkdir(parents=True, exist_ok=True)

            def progress(run: Any) -> None:
                stage_line("dialogue", f"round {run.rounds}: {len(run.kept)}/{settings.target} grounded"
                                       f" of {run.candidates} attempted")

            with Journal(data_dir() / "journal.sqlite3") as journal, \
                    open_endpoint(llm, log_path=run_dir / "llm-server.log") as endpoint:
                run = generate_dialogues(pending, entries, settings, llm, endpoint, journal,
                                         prior_attempts=store.attempt_counts(settings.kind),
                                         existing_ids=existing_ids(out), build=build, on_round=progress)
            report.update(build=build, model=endpoint.model, **run.summary())
            cover = coverage(entries, dict(Counter(done) + run.kept_per_entry), dict(run.kept_per_entry))
            report["coverage"] = cover.as_dict()
            write_outputs(out, run.kept, run.rejected, report)
            store.record_generation(settings.kind, str(out.resolve()),
                                    [(r.id, r.lineage.kb_entry_id or "") for r in run.kept], dict(run.attempts))
        else:
            cover = coverage(entries, done, {})
            report.update(attempted=0, kept=0, grounded_rate=None, coverage=cover.as_dict())
    report["outputs"] = {"records": str(out), "rejected": str(sibling(out, "rejected.jsonl")),
                         "report": str(sibling(out, "report.json"))}
    report["coverage_text"] = cover.render()
    return report


def dialogues(
    kb: Annotated[str, typer.Option("--kb", help="Knowledge base (see `seedforge ingest`)")],
    n: Annotated[int, typer.Option("--n", min=1, help="Grounded dialogues wanted")],
    out: Annotated[Path, typer.Option("--out", help="Output: .jsonl (records with lineage) or .json"
                                      " (Alpaca triples / messages); runs add to it. OUT.rejected.jsonl"
                                      " and OUT.report.json go beside it")],
    turns: Annotated[int, typer.Option("--turns", help="1: Alpaca records; 3: multi-turn `messages`")] = 1,
    all_entries: Annotated[bool, typer.Option("--all", help="Every active entry, not only new or"
                                              " changed ones")] = False,
    max_attempts: Annotated[int, typer.Option("--max-attempts", min=1, help="Attempts per entry")] = 3,
    base_url: Annotated[Optional[str], typer.Option("--base-url", help="OpenAI-compatible endpoint "
                                                    "(default: OPENAI_BASE_URL, else the embedded model)")] = None,
    model: Annotated[Optional[str], typer.Option("--model", help="Model name at that endpoint")] = None,
    temperature: Annotated[Optional[float], typer.Option("--temperature", min=0, max=2)] = None,
    config_file: Annotated[Optional[Path], typer.Option("--config", help="Run config YAML: its llm"
                                                        " section applies")] = None,
) -> None:
    """Dialogues from one knowledge-base entry at a time, grounded in it: the patient describes
    symptoms in lay words; the doctor names the condition, tests and medications from the entry
    with a safety note. Answers naming another entry's condition or drug are rejected."""
    from pipeline.generate.dialogues import DialogueConfig

    try:
        if turns not in (1, 3):
            raise SeedforgeError(f"--turns must be 1 or 3, not {turns}")
        settings = DialogueConfig(turns=turns, target=n, max_attempts_per_entry=max_attempts,
                                  regenerate=all_entries)
        report = _run(kb, out, settings, _llm_config(config_file, base_url, model, temperature))
    except SeedforgeError as exc:
        fail(exc)
    if not report["pending"]:
        typer.echo(f"nothing to do: all {report['entries']} entries already have dialogues"
                   " (--all regenerates)")
    else:
        rate = report["grounded_rate"]
        typer.echo(f"{report['kept']} grounded dialogues -> {out} ({report['attempted']} attempted,"
                   f" grounded rate {rate:.0%}); rejected: {report['rejected'] or 'none'}")
    typer.echo(report["coverage_text"])
    if report["pending"] and report["kept"] < n:
        typer.secho(f"warning: {report['kept']} of {n} wanted: the pending entries used their"
                    f" attempts (raise --max-attempts, or use --all)", fg=typer.colors.YELLOW, err=True)


def register(app: typer.Typer) -> None:
    generate_app.command("dialogues")(dialogues)
