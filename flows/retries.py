"""Which task failures a retry can mend: a server restarting or a dropped connection may pass on
the next try; bad input, a refused API key or a model the server does not serve fail the same
way again, so they end the run at once instead of paying for the same refusal twice more."""

from __future__ import annotations

from typing import Any

from pipeline.errors import SeedforgeError
from pipeline.llm.discovery import Unreachable


def retry_unless_it_fails_the_same(task: Any, task_run: Any, state: Any) -> bool:
    """A task's `retry_condition_fn`: its failed state holds the exception."""
    error = state.result(raise_on_failure=False)
    if isinstance(error, Unreachable):
        return True
    return not isinstance(error, SeedforgeError)  # EndpointError included: 401, 404 answer alike
