"""The `seedforge` command. Command groups live in `pipeline/commands/`, one module per area
(their conventions: `pipeline/commands/common.py`); heavy imports (torch, transformers,
prefect) happen inside the commands that need them, so `seedforge --help` starts fast.

Global options: `--version`, `--verbose` / `--quiet` (seedforge's log level, and whether
progress lines and bars show). Exit codes are `pipeline.errors.ExitCode` (listed in the help's
epilog and docs/cli.md).

Every command runs under `pipeline.processes.handle_signals`: SIGINT, SIGTERM and SIGHUP
unwind it like Ctrl-C (an embedded server's `with` block stops it), every child still running
is stopped, and the command exits with 128 + the signal's number (130, 143, 129)."""

from __future__ import annotations

import importlib
import logging
import signal
import sys
from collections.abc import Iterable
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from pipeline.commands import all_modules, modules_for
from pipeline.commands.common import PANEL_ORDER
from pipeline.errors import EXIT_CODES_HELP, SeedforgeError, exit_code_for
from pipeline.processes import handle_signals, signal_behind, stop_children

LOGGERS = ("pipeline", "flows")  # seedforge's loggers: pipeline.llm, pipeline.generate, ...


class SeedforgeApp(typer.Typer):
    """A Typer whose invocation (the console script, `python -m pipeline.cli`) stops every
    child process and exits with the signal's code when a signal ends it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.registered_modules: set[str] = set()

    def register_commands(self, modules: Iterable[str]) -> SeedforgeApp:
        """Import and register these command modules, each once."""
        for name in modules:
            if name not in self.registered_modules:
                importlib.import_module(f"pipeline.commands.{name}").register(self)
                self.registered_modules.add(name)
        return self

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with handle_signals() as signals:
            try:
                return super().__call__(*args, **kwargs)
            except SeedforgeError as error:  # one a command did not catch: still its exit code
                if signals.received is None:
                    typer.secho(f"error: {error}", fg=typer.colors.RED, err=True)
                    sys.exit(exit_code_for(error))
            except BaseException as error:
                if signals.received is None:
                    signals.received = signal_behind(error)  # a library's handler caught it first
                if signals.received is None:
                    raise
        # a signal ended the command: whatever it raised on the way out is a consequence
        stopped = stop_children()
        name = signal.Signals(signals.received).name
        typer.secho(
            f"seedforge: stopped by {name}"
            + (f" ({len(stopped)} child process(es) stopped)" if stopped else "")
            + f"; exit {signals.exit_code}",
            fg=typer.colors.YELLOW,
            err=True,
        )
        sys.exit(signals.exit_code)


class PanelOrderedGroup(TyperGroup):
    """Lists commands panel by panel in PANEL_ORDER (the order of the pipeline), keeping the
    registration order within a panel; typer would list commands before command groups."""

    def list_commands(self, ctx: Any) -> list[str]:
        def rank(name: str) -> int:
            panel = getattr(self.commands[name], "rich_help_panel", None)
            return PANEL_ORDER.index(panel) if panel in PANEL_ORDER else len(PANEL_ORDER)

        return sorted(super().list_commands(ctx), key=rank)


class _StderrHandler(logging.Handler):
    """Writes to whatever sys.stderr is at the time (a rich progress bar or a test runner may
    have replaced it), `warning: ...` for warnings and errors, the bare message otherwise."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = self.format(record)
            if record.levelno >= logging.WARNING:
                message = f"{record.levelname.lower()}: {message}"
            sys.stderr.write(message + "\n")
            sys.stderr.flush()
        except Exception:  # noqa: BLE001 — logging must never break the command
            self.handleError(record)


_HANDLER = _StderrHandler()


def configure_output(verbose: bool, quiet: bool) -> None:
    """seedforge's loggers at DEBUG (verbose), INFO, or WARNING (quiet) on stderr; progress
    lines on unless quiet."""
    from pipeline.report.progress import set_progress_lines

    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    for name in LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(level)
        if _HANDLER not in logger.handlers:
            logger.addHandler(_HANDLER)
    set_progress_lines(not quiet)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"seedforge {version('seedforge')}")
        except PackageNotFoundError:  # a source tree that was never installed
            typer.echo("seedforge (not installed: no version)")
        raise typer.Exit()


_app = SeedforgeApp(
    name="seedforge",
    cls=PanelOrderedGroup,
    no_args_is_help=True,
    add_completion=False,
    help="Self-instruct and knowledge-grounded instruction data: generate, curate, train, evaluate.",
    epilog=EXIT_CODES_HELP + " Details: docs/cli.md.",
)


@_app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print seedforge's version and exit"
        ),
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Debug logging (retries, requests, choices made)")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Only warnings and errors: no progress lines or bars")
    ] = False,
) -> None:
    """Self-instruct and knowledge-grounded instruction data: generate, curate, train, evaluate."""
    if verbose and quiet:
        raise typer.BadParameter("--verbose and --quiet exclude each other")
    configure_output(verbose, quiet)


def __getattr__(name: str) -> SeedforgeApp:
    """`app`: the command with every subcommand registered (tests, `typer` tooling)."""
    if name == "app":
        return _app.register_commands(all_modules())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def run() -> None:
    """The console script: registers only what this command line names, then runs it."""
    _app.register_commands(modules_for(sys.argv[1:]))
    _app()


if __name__ == "__main__":
    run()
