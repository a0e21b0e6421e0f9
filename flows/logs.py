"""seedforge's own log records in the flow run's logs, in Prefect's UI.

The library logs through the standard `logging` module under the `pipeline` logger
(`pipeline.llm`: quarantined requests, tokenizer fallbacks, the model discovered;
`pipeline.generate`: the fallback from JSON-schema output to numbered text; …). Prefect sends
only its own run loggers to its API, so without help those records reach the run's console
but not its logs in the UI.

Prefect's `PREFECT_LOGGING_EXTRA_LOGGERS` setting would add the logger, but it is read when
Prefect configures logging, at `import prefect`: a worker's run process (and a flow file run as
a script) has imported Prefect before any flow module could set it, and it would have to be
repeated in every deployment's job variables. So importing `flows` (every flow module does)
attaches the handler itself: the same process works alike under `python flows/…`, `serve`, a
worker's subprocess and `seedforge pipeline run`.

Only records made inside a flow or task run are sent (they go to that run, and to its task run
when made in a task); outside one — the CLI, or tests that imported the flows — the handler
stays silent instead of warning about a missing run. Progress lines are `print`s, which the
flows' `log_prints=True` already sends. A stage that stops on its budget before its target says
so as a warning in the run's logs (`warn_if_budget_stop`); the CLI warns on the terminal."""

from __future__ import annotations

import logging

from prefect.context import FlowRunContext, TaskRunContext
from prefect.logging import get_run_logger
from prefect.logging.handlers import APILogHandler

from pipeline.llm.request import BUDGET_EXHAUSTED
from pipeline.stage import MAX_REQUESTS

SEEDFORGE_LOGGER = "pipeline"  # the parent of every library logger
BUDGET_STOPS = (MAX_REQUESTS, BUDGET_EXHAUSTED)


class RunLogHandler(APILogHandler):
    """Prefect's API handler, for records made inside a flow or task run only."""

    def emit(self, record: logging.LogRecord) -> None:
        if FlowRunContext.get() is None and TaskRunContext.get() is None:
            return
        super().emit(record)


def send_library_logs_to_runs(level: int = logging.INFO) -> logging.Handler:
    """Attach the run-log handler to the `pipeline` logger once (idempotent); a logger with no
    level of its own logs from `level` up. Returns the API handler in use."""
    logger = logging.getLogger(SEEDFORGE_LOGGER)
    if logger.level == logging.NOTSET:
        logger.setLevel(level)  # its default (the root's WARNING) would drop INFO records
    for handler in logger.handlers:
        if isinstance(handler, APILogHandler):  # ours, or Prefect's from PREFECT_LOGGING_EXTRA_LOGGERS
            return handler
    handler = RunLogHandler()
    logger.addHandler(handler)
    return handler


def warn_if_budget_stop(
    stage: str, stop_reason: str | None, kept: int, target: int, cap: str | None = None
) -> None:
    """In a flow: one warning in the run's logs when `stage` stopped on its request cap or money
    budget short of its target; `cap` names the setting behind a request cap, where it is not
    `max_requests` itself."""
    if stop_reason in BUDGET_STOPS and kept < target:
        why = cap if cap is not None and stop_reason == MAX_REQUESTS else stop_reason
        get_run_logger().warning(
            "%s stopped on its budget (%s) with %d of %d wanted", stage, why, kept, target
        )
