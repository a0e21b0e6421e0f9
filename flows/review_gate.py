"""The build flow's review gate: the sample as an artifact, then the run pauses with a typed
form (`pipeline.review.form`) in the Prefect UI until a reviewer resumes it.

`pause_flow_run`, not `suspend_flow_run`: a paused run keeps its process (and the build's
claim, journal and curation index) alive and polls the server, so the gate works for
`python flows/build_dataset.py`, `serve` and worker runs alike; a suspended run would exit and
need a deployment with persisted results to be started again. A run only pauses where a
reviewer can reach it: on a Prefect server (`PREFECT_API_URL`). `seedforge build` without one
runs on a temporary server nobody sees, and the gate is skipped with a line saying so.

The server validates a resume against the form's schema, so a form naming a record outside
the sample is refused there, and resuming a run that is no longer paused is refused as well
("Cannot resume a flow run that is not paused"). A form that passes the schema but says
something incomplete (a rejection without a reason, an edit that changes nothing) pauses the
run again, the problem shown above the form.

When nobody answers, the gate ends its own pause at `review.timeout` (the run goes back to
running) a minute before the server's pause expiry would: the server fails an expired pause,
and a run that went through Failed on its way to publishing unreviewed would fire every
automation and alert on failed runs, and look finished to anyone watching it."""

from __future__ import annotations

import contextvars
import threading
import time
from typing import Any, cast
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.context import FlowRunContext
from prefect.exceptions import FlowPauseTimeout
from prefect.flow_runs import pause_flow_run
from prefect.input import RunInput, keyset_from_paused_state, read_flow_run_input
from prefect.logging import get_run_logger
from prefect.settings import get_current_settings
from prefect.states import Paused, Running
from pydantic import ValidationError

from flows.artifacts import artifact_key, publish_markdown
from pipeline.errors import SeedforgeError
from pipeline.review.decisions import SubmissionRefused
from pipeline.review.form import review_form_model, submission_from_form
from pipeline.review.gate import AskFn, ReviewRequest
from pipeline.review.models import Submission
from pipeline.review.report import form_description, sample_markdown

POLL_SECONDS = 5  # how soon a resumed run notices
# how long after the gate's own deadline the server's pause expiry is set (it checks every 5 s)
SERVER_GRACE_SECONDS = 60


def reviewer_can_reach() -> bool:
    """Whether this run is on a Prefect server a reviewer can open (not a temporary one)."""
    return bool(get_current_settings().api.url)


def _run_where() -> str:
    context = FlowRunContext.get()
    if context is None or context.flow_run is None:
        return ""
    return f"flow run {context.flow_run.name} ({context.flow_run.id})"


def _back_to_running(flow_run_id: UUID, only_if_paused: bool = False) -> bool:
    """Set the run back to Running ("review timed out"), so the build can go on; with
    `only_if_paused`, only while no reviewer has resumed it. Whether it did."""
    with get_client(sync_client=True) as client:
        if only_if_paused:
            state = client.read_flow_run(flow_run_id).state
            if state is None or not state.is_paused():
                return False
        client.set_flow_run_state(flow_run_id, Running(message="review timed out"), force=True)
    return True


def _end_pause_if_paused(flow_run_id: UUID, ended: threading.Event) -> None:
    if _back_to_running(flow_run_id, only_if_paused=True):
        ended.set()


def _wait_for_form(form: type[RunInput], seconds: int, key: str) -> RunInput | None:
    """Pause with `form` until a reviewer resumes the run, or None after `seconds`."""
    context = FlowRunContext.get()
    assert context is not None and context.flow_run is not None
    flow_run_id = context.flow_run.id
    ended = threading.Event()
    timer = threading.Timer(
        seconds, contextvars.copy_context().run, args=(_end_pause_if_paused, flow_run_id, ended)
    )
    timer.daemon = True
    timer.start()
    try:
        answer: RunInput | None = pause_flow_run(
            wait_for_input=form,
            timeout=seconds + SERVER_GRACE_SECONDS,
            poll_interval=min(POLL_SECONDS, seconds),
            key=key,
        )
    except FlowPauseTimeout:  # the timer could not reach the server, and the server failed the run
        _back_to_running(flow_run_id)
        return None
    except ValidationError:  # the pause ended with no form sent: Prefect builds an empty one
        if not ended.is_set():
            raise
        answer = None
    finally:
        timer.cancel()
    if not ended.is_set():
        return answer
    # a reviewer's resume may land between the timer's look and its state change
    response = keyset_from_paused_state(Paused(pause_key=key))["response"]
    sent = cast(dict[str, Any] | None, read_flow_run_input(response, flow_run_id=flow_run_id))
    return None if sent is None else form(**sent)


def ask_in_prefect_ui(request: ReviewRequest) -> Submission | None:
    """Pause until a reviewer submits the form (asking again while what they sent is refused),
    or None once `review.timeout` has passed."""
    logger = get_run_logger()
    where = _run_where()
    publish_markdown(
        request.dataset,
        "review",
        sample_markdown(request.dataset, request.build, request.sample),
        f"Review sample of build {request.build}",
    )
    artifact = artifact_key(request.dataset, "review")
    deadline = time.monotonic() + request.config.timeout
    # what the last, refused, form said and why: the form comes back filled in, with the problems
    problem, general = "", ""
    previous: dict[str, Any] = {}
    problems: dict[str, list[str]] = {}
    asked = 0
    while (left := int(deadline - time.monotonic())) > 0:
        asked += 1
        built = review_form_model(
            request.sample, RunInput, previous=previous, problems=problems, general=general
        )
        form = cast(type[RunInput], built)
        form._description = form_description(
            request.dataset, request.build, request.sample, artifact, problem
        )
        logger.info(
            "review: %d records sampled; waiting up to %d s for a reviewer to resume this run with the form",
            len(request.sample),
            left,
        )
        answer = _wait_for_form(form, left, key=f"review-{asked}")
        if answer is None:
            break
        try:
            submission = submission_from_form(answer.model_dump(), request.sample, where=where)
            request.check(submission)
        except SeedforgeError as exc:
            problem, previous = str(exc), answer.model_dump(mode="json")
            problems, general = (exc.problems, "") if isinstance(exc, SubmissionRefused) else ({}, problem)
            logger.error("review: the form was refused, asking again: %s", problem)
            continue
        logger.info("review: %d decisions by %s", len(submission.decisions), submission.reviewer)
        return submission
    logger.warning(
        "review: nobody resumed the run within %d s (review.on_timeout: %s)",
        request.config.timeout,
        request.config.on_timeout,
    )
    return None


def review_gate() -> AskFn | None:
    """The ask function for `build_dataset`, or None where nobody can be asked."""
    if reviewer_can_reach():
        return ask_in_prefect_ui
    return None
