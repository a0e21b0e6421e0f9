"""Helpers shared by the command modules, and the conventions every command follows so that
`seedforge` explains itself (docs/cli.md is the user's side of the same rules).

1. Shape: one module per area with `register(app)`; at module level only typer, the enums and
   light config modules are imported, heavy libraries inside the command (`seedforge --help`
   stays fast).
2. Groups: register every command or sub-app with `rich_help_panel=` one of the PANEL_*
   names below, so `seedforge --help` lists commands by what they are for.
3. Defaults: a real default is the parameter's default (`batch_size: int = 8` shows
   `[default: 8]`). An option that is None because its default lives elsewhere (the config
   file, the environment, another option) says so with `show_default="what it is"`. Never
   write `[default: ...]` (or any `[word ...]`) into help text: rich markup reads it as a style
   tag and swallows it. tests/test_cli_help.py walks every command's --help and checks.
4. Fixed choices are Enums (`pipeline/commands/choices.py`, or the stage config's own, as
   `seedforge export --format` uses `ExportFormat`), so --help lists them and a wrong value is
   a usage error naming the choices.
5. Errors: catch `SeedforgeError` and call `fail(exc)`; the exit code comes from
   `pipeline.errors.exit_code_for` (2 bad input, 3 `EndpointError`: refused key, unreachable
   URL, unknown model). Nothing half-written (`pipeline.io`'s atomic writers).
6. Budget: a command whose stage stopped on its budget (money, tokens, --max-requests) short
   of its target writes what it made, warns, and ends with `exit_on_budget_stop` (exit 4).
7. Records out: the output's extension decides the format for every command: `.json` a JSON
   list, `.jsonl` JSON lines (`pipeline.io.record_format`, `RecordWriter`,
   `write_records_atomic`); check it with `record_format` before any work. Sidecar files
   (OUT.rejected.jsonl, OUT.report.json) are named from OUT (`pipeline.io.sidecar`): x.jsonl's from its
   stem (x.report.json), any other output's from its whole name (x.json.report.json).
8. Endpoints: put only the options the user gave into the LLM config (`llm_overrides`): a
   `--base-url` without `--model` then asks the endpoint's /models for its only model, once,
   where `pipeline.llm.endpoint.open_endpoint` opens it, for every command alike.
9. Output: results on stdout; progress, warnings and errors on stderr. Progress lines
   (`pipeline.report.progress.stage_line`) and rich bars are off with --quiet
   (`progress_enabled()`); seedforge's loggers follow --verbose/--quiet (`pipeline.cli`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer

from pipeline.errors import ExitCode, exit_code_for

PANEL_GENERATE = "Generate"
PANEL_CURATE = "Curate"
PANEL_TRAIN = "Train & evaluate"
PANEL_DATA = "Data"
PANEL_PIPELINE = "Whole pipeline"
PANEL_SERVICE = "Service / LLM"
PANEL_ORDER = (PANEL_GENERATE, PANEL_CURATE, PANEL_DATA, PANEL_TRAIN, PANEL_PIPELINE, PANEL_SERVICE)

# stop reasons that mean "the budget ran out": the LLM budget (llm.budget_usd / budget_tokens,
# pipeline.llm.request.BUDGET_EXHAUSTED) and a request budget (--max-requests,
# pipeline.stage.MAX_REQUESTS); spelled here so the CLI does not import the LLM client
MONEY_STOPS = frozenset({"budget_exhausted"})
BUDGET_STOPS = MONEY_STOPS | {"max_requests"}


def register(app: typer.Typer) -> None:
    """No commands here; present so every module in this package has the same shape."""


def fail(exc: Exception) -> NoReturn:
    """Say what went wrong on stderr and exit with the error's code."""
    typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=exit_code_for(exc))


def warn(message: str) -> None:
    typer.secho(f"warning: {message}", fg=typer.colors.YELLOW, err=True)


def exit_on_budget_stop(
    stop_reason: str | None, *, short_of_target: bool, budget_stops: frozenset[str] = BUDGET_STOPS
) -> None:
    """Exit 4 when the stage stopped on its budget before its target (its results are written
    already); otherwise return and let the command exit 0. `budget_stops`: the stop reasons
    that are a budget for this command."""
    if stop_reason in budget_stops and short_of_target:
        raise typer.Exit(code=int(ExitCode.BUDGET_STOP))


def llm_overrides(**options: Any) -> dict[str, Any]:
    """The LLM settings the user gave on the command line (None: not given), for
    `LLMConfig.model_copy(update=...)`: an unset model stays unset, so it is discovered. A
    --base-url replaces the config's `llm.endpoints` list too."""
    given = {name: value for name, value in options.items() if value is not None}
    if "base_url" in given:
        given["endpoints"] = None
    return given


def progress_enabled() -> bool:
    from pipeline.report.progress import progress_lines_on

    return progress_lines_on()


@contextmanager
def spinner(description: str) -> Iterator[Callable[[str], None]]:
    """A transient spinner on stderr that shows the latest description it is given. Where it
    would not show (stderr not a terminal, or --quiet) rich is not even imported: its ~40 ms
    matter to short commands in scripts."""
    if not sys.stderr.isatty() or not progress_enabled():
        yield lambda _description: None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, transient=True) as progress:
        task = progress.add_task(description, total=None)
        yield lambda text: progress.update(task, description=text)


def prefect_defaults() -> None:
    # the 20 s default times out on 2 busy cores; analytics would try the network
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from pipeline.prefect_server import temporary_server_dies_with_us

    temporary_server_dies_with_us()
