"""Prefect's temporary API server, started by a command that runs a flow without a Prefect
server configured, ends with the command even when the command is killed with SIGKILL.

Prefect starts that server (`SubprocessASGIServer`, a uvicorn child process) and stops it at
exit, which a SIGKILL skips: the server then runs on, orphaned, holding its port and memory.
The child is started through the `subprocess` name of Prefect's server module; giving that
module a `subprocess` whose `Popen` adds `die_with_parent` (Linux PR_SET_PDEATHSIG) makes the
kernel send the server SIGTERM when seedforge dies. Everything else of `subprocess` is the
standard module's."""

from __future__ import annotations

import subprocess
import threading
import types
from typing import Any

from pipeline.processes import die_with_parent

_lock = threading.Lock()


def _popen_dying_with_parent(*args: Any, **kwargs: Any) -> subprocess.Popen[Any]:
    preexec = die_with_parent()
    if preexec is not None and kwargs.get("preexec_fn") is None:
        kwargs["preexec_fn"] = preexec
    return subprocess.Popen(*args, **kwargs)


def temporary_server_dies_with_us() -> None:
    """Idempotent; a Prefect without that module (or that name) is left as it is."""
    try:
        from prefect.server.api import server
    except ImportError:
        return
    with _lock:
        current = getattr(server, "subprocess", None)
        if current is not subprocess:  # already wrapped, or Prefect no longer uses the name
            return
        wrapped = types.ModuleType("subprocess")
        wrapped.__dict__.update(subprocess.__dict__)
        wrapped.Popen = _popen_dying_with_parent  # type: ignore[attr-defined]
        server.subprocess = wrapped  # type: ignore[attr-defined]
