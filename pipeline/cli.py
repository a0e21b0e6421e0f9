"""The `seedforge` command. Command groups live in `pipeline/commands/`, one module per area;
heavy imports (torch, transformers, prefect) happen inside the commands that need them, so
`seedforge --help` starts fast.

Every command runs under `pipeline.processes.handle_signals`: SIGINT, SIGTERM and SIGHUP
unwind it like Ctrl-C (an embedded server's `with` block stops it), every child still running
is stopped, and the command exits with 128 + the signal's number (130, 143, 129)."""

from __future__ import annotations

import signal
import sys
from typing import Any

import typer

from pipeline.commands import register_all
from pipeline.processes import handle_signals, signal_behind, stop_children


class SeedforgeApp(typer.Typer):
    """A Typer whose invocation (the console script, `python -m pipeline.cli`) stops every
    child process and exits with the signal's code when a signal ends it."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with handle_signals() as signals:
            try:
                return super().__call__(*args, **kwargs)
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


app = SeedforgeApp(
    name="seedforge",
    no_args_is_help=True,
    add_completion=False,
    help="Self-instruct and knowledge-grounded instruction data: generate, curate, train, evaluate.",
)
register_all(app)

if __name__ == "__main__":
    app()
