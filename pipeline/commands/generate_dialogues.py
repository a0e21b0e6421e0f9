"""`seedforge generate dialogues`: patient/doctor (or customer/agent) dialogues grounded in a
knowledge base, with a grounding check and a coverage report. Incremental: only entries that
are new or changed since the last run get dialogues, unless --all."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from pipeline.commands.choices import Turns
from pipeline.commands.common import MONEY_STOPS, exit_on_budget_stop, fail, llm_overrides, warn
from pipeline.commands.generate import generate_app
from pipeline.errors import SeedforgeError

if TYPE_CHECKING:  # the CLI imports stages lazily, when a command runs
    from pipeline.generate.dialogues.result import DialogueBuild, DialogueRun

DIALOGUE_MAX_TOKENS = 256  # one turn is a few sentences; longer answers only ramble


def _llm_config(
    config_file: Optional[Path], base_url: Optional[str], model: Optional[str], temperature: Optional[float]
) -> Any:
    from pipeline.config import load_config
    from pipeline.llm.config import LLMConfig

    llm = load_config(config_file).llm if config_file else LLMConfig(max_tokens=DIALOGUE_MAX_TOKENS)
    # no --model: the endpoint's only model is asked for where the endpoint is opened
    return llm.model_copy(update=llm_overrides(base_url=base_url, model=model, temperature=temperature))


def _progress(target: int) -> Any:
    from pipeline.report.progress import stage_line

    def on_round(run: DialogueRun) -> None:
        stage_line(
            "dialogue", f"round {run.rounds}: {len(run.kept)}/{target} grounded of {run.candidates} attempted"
        )

    return on_round


def dialogues(
    kb: Annotated[str, typer.Option("--kb", help="Knowledge base (see `seedforge ingest`)")],
    n: Annotated[int, typer.Option("--n", min=1, help="Grounded dialogues wanted")],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Output: .jsonl (records with lineage) or .json"
            " (Alpaca triples / messages); runs add to it. OUT.rejected.jsonl"
            " and OUT.report.json go beside it",
        ),
    ],
    turns: Annotated[
        Turns, typer.Option("--turns", help="1: Alpaca records; 3: multi-turn `messages`")
    ] = Turns.one,
    all_entries: Annotated[
        bool, typer.Option("--all", help="Every active entry, not only new or changed ones")
    ] = False,
    max_attempts: Annotated[int, typer.Option("--max-attempts", min=1, help="Attempts per entry")] = 3,
    base_url: Annotated[
        Optional[str],
        typer.Option(
            "--base-url",
            help="OpenAI-compatible endpoint",
            show_default="OPENAI_BASE_URL, else the embedded model",
        ),
    ] = None,
    model: Annotated[
        Optional[str],
        typer.Option("--model", help="Model name at that endpoint", show_default="the endpoint's only model"),
    ] = None,
    temperature: Annotated[
        Optional[float],
        typer.Option(
            "--temperature", min=0, max=2, help="Sampling temperature", show_default="the config's, 0.7"
        ),
    ] = None,
    config_file: Annotated[
        Optional[Path], typer.Option("--config", help="Run config YAML: its llm section applies")
    ] = None,
) -> None:
    """Dialogues from one knowledge-base entry at a time, grounded in it: the patient describes
    symptoms in lay words; the doctor names the condition, tests and medications from the entry
    with a safety note. Answers naming another entry's condition or drug are rejected."""
    from pipeline.generate.dialogues.build import build
    from pipeline.generate.dialogues.config import DialogueConfig

    try:
        settings = DialogueConfig(
            turns=1 if turns is Turns.one else 3,
            target=n,
            max_attempts_per_entry=max_attempts,
            regenerate=all_entries,
        )
        llm = _llm_config(config_file, base_url, model, temperature)
        built = build(kb, out, settings, llm, on_round=_progress(n))
    except SeedforgeError as exc:
        fail(exc)
    _print_outcome(built, out, n)
    if built.run is not None:  # per-entry attempts are no budget: only the LLM budget exits 4
        exit_on_budget_stop(
            built.run.stop_reason, short_of_target=len(built.run.kept) < n, budget_stops=MONEY_STOPS
        )


def _print_outcome(built: DialogueBuild, out: Path, wanted: int) -> None:
    run = built.run
    if run is None:
        typer.echo(f"nothing to do: all {built.entries} entries already have dialogues (--all regenerates)")
    else:
        rejected = dict(run.rejected_by_reason()) or "none"
        typer.echo(
            f"{len(run.kept)} grounded dialogues -> {out} ({run.candidates} attempted,"
            f" grounded rate {run.grounded_rate:.0%}); rejected: {rejected}"
        )
    typer.echo(built.coverage_text)
    if run is not None and len(run.kept) < wanted:
        from pipeline.stage import MAX_REQUESTS  # here: every command's start-up imports this module

        if run.stop_reason == MAX_REQUESTS:  # the run's own cap, not the entries' attempts
            why = (
                f"the run reached its cap of 3 × --n attempts ({run.candidates}), which"
                " --max-attempts (a cap per entry) does not raise"
            )
        else:
            why = "the pending entries used their attempts or the budget (raise --max-attempts, or use --all)"
        warn(f"{len(run.kept)} of {wanted} wanted ({run.stop_reason}): {why}")


def register(app: typer.Typer) -> None:
    generate_app.command("dialogues")(dialogues)
