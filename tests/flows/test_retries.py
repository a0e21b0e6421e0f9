"""A task retry is for what may pass next time (a server restarting), not for a refusal that
will come again (a 401 was sent three times by the build's generate-batch task)."""

from __future__ import annotations

import pytest
from prefect.states import Failed

from flows.retries import retry_unless_it_fails_the_same
from pipeline.errors import EndpointError, SeedforgeError
from pipeline.llm.discovery import Unreachable


@pytest.mark.parametrize(
    ("error", "retried"),
    [
        (Unreachable("nothing answers at http://127.0.0.1:9/v1"), True),
        (RuntimeError("connection reset"), True),
        (EndpointError("the endpoint refused the API key (HTTP 401)"), False),
        (SeedforgeError("seed file not found"), False),
    ],
)
def test_only_what_may_pass_is_retried(error: Exception, retried: bool) -> None:
    assert retry_unless_it_fails_the_same(None, None, Failed(data=error)) is retried


def test_every_retried_task_asks_first() -> None:
    from flows.build_dataset import generate_batch_task
    from flows.evaluate_adapter import evaluation_task
    from flows.ingest_knowledge_base import dialogues_task

    for task in (generate_batch_task, dialogues_task, evaluation_task):
        assert task.retries and task.retry_condition_fn is retry_unless_it_fails_the_same
