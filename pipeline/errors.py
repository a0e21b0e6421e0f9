"""User-facing errors and the exit codes they mean, in one place.

Every `seedforge` command exits with one of these codes (`seedforge --help` and docs/cli.md
list them); `exit_code_for` is the one mapping from an exception to its code.

| code | meaning |
| --- | --- |
| 0 | done |
| 1 | an unexpected error (a bug, or a failure seedforge does not know): the traceback says where |
| 2 | bad input: a command line, config, data file or model name to fix (`SeedforgeError`) |
| 3 | the endpoint or service failed us: refused key, unreachable URL, unknown model (`EndpointError`) |
| 4 | stopped by the budget (money, tokens or requests) before the target; what was made is written |
| 128+N | stopped by signal N (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP): `pipeline.processes` |
"""

from __future__ import annotations

from enum import IntEnum
from pathlib import Path


class ExitCode(IntEnum):
    OK = 0
    UNEXPECTED = 1
    BAD_INPUT = 2
    ENDPOINT = 3
    BUDGET_STOP = 4
    SIGNAL_BASE = 128  # + the signal's number


EXIT_CODES_HELP = (
    "Exit codes: 0 done; 1 unexpected error; 2 bad input (options, config, data); "
    "3 endpoint or service error (refused key, unreachable URL, unknown model); "
    "4 stopped by the budget before the target (results written); "
    "128+N stopped by signal N (130 Ctrl-C, 143 SIGTERM)."
)


class SeedforgeError(Exception):
    """A user-facing error: says which file and line (or record) and what was expected."""

    exit_code = ExitCode.BAD_INPUT

    def __init__(self, message: str, *, path: str | Path | None = None, line: int | None = None):
        self.path = str(path) if path is not None else None
        self.line = line
        where = ""
        if self.path:
            where = self.path + (f":{line}" if line is not None else "")
            where += ": "
        super().__init__(where + message)


class EndpointError(SeedforgeError):
    """An endpoint or service seedforge talks to refused it or could not be reached: a bad
    API key, a URL where nothing answers, a model the server does not serve, a Redis index
    that refuses the password."""

    exit_code = ExitCode.ENDPOINT


def exit_code_for(error: BaseException) -> int:
    """The exit code a command ends with when `error` stops it."""
    if isinstance(error, SeedforgeError):
        return int(error.exit_code)
    return int(ExitCode.UNEXPECTED)
