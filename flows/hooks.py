"""State hooks shared by the flows that start child processes (the embedded llama.cpp server).

A cancelled or crashed flow run normally stops its server already: Prefect turns the SIGTERM
it sends the run's process into an exception, and the server's `with` block unwinds. These
hooks are the last resort in the process that ran the flow: they stop every child this
process started since the run began (`pipeline.processes`) and is still running. Where a
runner owns the cancellation (a served or worker-run deployment), Prefect calls
`on_cancellation` hooks in the runner's process, which started no server: there they find
nothing to stop."""

from __future__ import annotations

from typing import Any

from prefect.logging import get_logger

from pipeline.processes import stop_children


def stop_child_processes(flow: Any, flow_run: Any, state: Any) -> None:
    """on_cancellation / on_crashed: stop the children this run started that still run."""
    started = getattr(flow_run, "start_time", None)
    if started is None:  # the run never started: it started nothing
        return
    stopped = stop_children(started_since=started.timestamp() - 1.0)
    if stopped:
        get_logger("seedforge.hooks").warning(
            "flow run %s (%s): stopped %d child process(es) still running",
            flow_run.id,
            state.name,
            len(stopped),
        )
