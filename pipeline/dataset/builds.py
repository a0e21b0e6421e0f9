"""Which build a run of a dataset is: a new build, or the resumption of an unfinished one.

Every build of a dataset name has a state file, DATA_DIR/datasets/NAME/builds/BUILD.json,
written "in_progress" when the build starts and "finished" when its version is published (or
when it ends having nothing to publish). A run of a name whose last build is unfinished (it was
killed, crashed or failed) resumes that build: same id, same number, same parent version, so
it asks the same questions and the journal replays the answers already paid for. Otherwise
the run is a new build with the next number.

A build its budget stopped before it had anything to publish is "budget_stopped", with the
budget it had. The next run resumes it when it brings a larger budget (what was paid for is
replayed, and the new budget goes on from there); with the same budget a resumed build would
stop where it stopped, so that run is a new build instead (a nightly schedule with a fixed
budget still tries new prompts each night).

A running build holds an exclusive lock (fcntl) on builds/BUILD.lock until it ends, so two
runs at once never take the same unfinished build; the kernel drops the lock of a killed
process. Choosing or creating a build happens under builds/.lock."""

from __future__ import annotations

import fcntl
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from pipeline.errors import SeedforgeError
from pipeline.io import write_json_atomic
from pipeline.records import utc_now

IN_PROGRESS, FINISHED, BUDGET_STOPPED = "in_progress", "finished", "budget_stopped"


@dataclass
class BuildState:
    id: str
    dataset: str
    number: int  # 1 for the dataset's first build: decides the sampling
    parent: int | None  # the version the build started from (its pool and its base)
    status: str = IN_PROGRESS
    settings: dict[str, Any] = field(default_factory=dict)  # what a dataset cannot change
    started_at: str = field(default_factory=utc_now)
    runs: int = 1  # 2 and more: resumed
    finished_at: str | None = None
    version: int | None = None  # the version it published; None when it published nothing
    outcome: dict[str, Any] = field(default_factory=dict)
    # a budget-stopped build's limits, which a run must exceed to resume it
    budget: dict[str, Any] = field(default_factory=dict)


def builds_dir(root: Path, dataset: str) -> Path:
    return root / dataset / "builds"


def read_states(root: Path, dataset: str) -> list[BuildState]:
    """Every build of the dataset, oldest first."""
    states = []
    for path in builds_dir(root, dataset).glob("*.json"):
        try:
            states.append(BuildState(**json.loads(path.read_text(encoding="utf-8"))))
        except (json.JSONDecodeError, TypeError) as exc:
            raise SeedforgeError(f"unreadable build state: {exc}", path=path) from None
    return sorted(states, key=lambda state: state.number)


@contextmanager
def locked(path: Path) -> Iterator[None]:
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _try_lock(path: Path) -> IO[str] | None:
    handle = open(path, "a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


class ClaimedBuild:
    """The build this run is, held (locked) until `release`."""

    def __init__(self, folder: Path, state: BuildState, lock: IO[str], resumed: bool):
        self.folder, self.state, self._lock, self.resumed = folder, state, lock, resumed

    @property
    def id(self) -> str:
        return self.state.id

    @property
    def path(self) -> Path:
        return self.folder / f"{self.state.id}.json"

    def save(self) -> None:
        write_json_atomic(self.path, asdict(self.state))

    def finish(self, version: int | None, outcome: dict[str, Any]) -> None:
        self._end(FINISHED, version, outcome)

    def stop_on_budget(self, outcome: dict[str, Any], budget: dict[str, Any]) -> None:
        """Nothing published, the budget spent: a run with a larger budget resumes this build."""
        self.state.budget = budget
        self._end(BUDGET_STOPPED, None, outcome)

    def _end(self, status: str, version: int | None, outcome: dict[str, Any]) -> None:
        self.state.status, self.state.finished_at = status, utc_now()
        self.state.version, self.state.outcome = version, outcome
        with locked(self.folder / ".lock"):
            self.save()
            self.release()
            (self.folder / f"{self.state.id}.lock").unlink(missing_ok=True)

    def release(self) -> None:
        if not self._lock.closed:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()


def new_build_id(dataset: str, number: int) -> str:
    return f"{dataset}-b{number:04d}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}"


def raised(budget: dict[str, Any], before: dict[str, Any]) -> bool:
    """Whether `budget` allows more than `before` did in any of its limits (None: no limit)."""
    for name, value in budget.items():
        earlier = before.get(name)
        if earlier is not None and (value is None or value > earlier):
            return True
    return False


def claim_build(
    root: Path,
    dataset: str,
    parent: int | None,
    settings: dict[str, Any],
    budget: dict[str, Any] | None = None,
) -> ClaimedBuild:
    """Resume the newest unfinished build no other run holds, or the newest build when its
    budget stopped it and `budget` is larger, else start build number N+1 from `parent` (the
    dataset's latest version; N is at least its number). `settings` are recorded with a new
    build."""
    folder = builds_dir(root, dataset)
    folder.mkdir(parents=True, exist_ok=True)
    with locked(folder / ".lock"):
        states = read_states(root, dataset)
        for state in reversed(states):
            stopped = state.status == BUDGET_STOPPED and state is states[-1]
            if not (state.status == IN_PROGRESS or (stopped and raised(budget or {}, state.budget))):
                continue
            lock = _try_lock(folder / f"{state.id}.lock")
            if lock is not None:
                state.runs += 1
                state.status, state.finished_at = IN_PROGRESS, None
                claimed = ClaimedBuild(folder, state, lock, resumed=True)
                claimed.save()
                return claimed
        # after the versions of a dataset made before builds were numbered, too
        number = max(states[-1].number if states else 0, parent or 0) + 1
        state = BuildState(new_build_id(dataset, number), dataset, number, parent, settings=settings)
        lock = _try_lock(folder / f"{state.id}.lock")
        if lock is None:  # only a clock that went backwards within the same second gets here
            raise SeedforgeError(f"build {state.id} is already running", path=folder)
        claimed = ClaimedBuild(folder, state, lock, resumed=False)
        claimed.save()
        return claimed


@contextmanager
def claimed_build(
    root: Path,
    dataset: str,
    parent: int | None,
    settings: dict[str, Any],
    budget: dict[str, Any] | None = None,
) -> Iterator[ClaimedBuild]:
    """`claim_build`, released when the block ends however it ends (an unfinished build stays
    unfinished, for the next run to resume)."""
    claimed = claim_build(root, dataset, parent, settings, budget)
    try:
        yield claimed
    finally:
        claimed.release()


def recorded_settings(root: Path, dataset: str) -> dict[str, Any] | None:
    """The settings the dataset's builds were made with (its newest build's), if any."""
    for state in reversed(read_states(root, dataset)):
        if state.settings:
            return state.settings
    return None
