"""What a dataset's reviewers decided, kept in the data directory so it sticks:
DATA_DIR/review/NAME/sessions/SESSION.json, one file per applied review.

A record a session decided about (accepted, rejected or edited; an edited record under its old
and its new id) is never sampled again. A session is recorded once: a second review with the
same id, or one that decides about a record another session already settled, is refused
before anything is applied (under the store's lock, so two reviewers at once cannot both
win)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pydantic import ValidationError

from pipeline.dataset.builds import locked
from pipeline.errors import SeedforgeError
from pipeline.io import write_json_atomic
from pipeline.review.models import ReviewSession
from pipeline.settings import data_dir

_UNSAFE = re.compile(r"[^A-Za-z0-9_.@-]")


def review_root() -> Path:
    return data_dir() / "review"


class ReviewStore:
    def __init__(self, dataset: str, root: Path | None = None):
        self.dataset = dataset
        self.folder = (root or review_root()) / dataset
        self.sessions_dir = self.folder / "sessions"

    def _path(self, session_id: str) -> Path:
        return self.sessions_dir / f"{_UNSAFE.sub('_', session_id)}.json"

    @contextmanager
    def locked(self) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True)
        with locked(self.folder / ".lock"):
            yield

    def sessions(self) -> list[ReviewSession]:
        """Every stored session, oldest first."""
        found = []
        for path in sorted(self.sessions_dir.glob("*.json")) if self.sessions_dir.is_dir() else []:
            found.append(self._read(path))
        return sorted(found, key=lambda session: (session.decided_at, session.id))

    def _read(self, path: Path) -> ReviewSession:
        try:
            return ReviewSession.model_validate_json(path.read_text(encoding="utf-8"))
        except (ValidationError, ValueError) as exc:
            raise SeedforgeError(f"unreadable review session: {exc}", path=path) from None

    def get(self, session_id: str) -> ReviewSession | None:
        path = self._path(session_id)
        return self._read(path) if path.is_file() else None

    def reviewed(self) -> dict[str, str]:
        """Record id -> the session that settled it."""
        settled: dict[str, str] = {}
        for session in self.sessions():
            for record_id in session.decided_ids():
                settled.setdefault(record_id, session.id)
        return settled

    def reviewed_ids(self) -> set[str]:
        return set(self.reviewed())

    def record(self, session: ReviewSession) -> None:
        """Store a new session, refusing one already stored and one that decides about a
        record another session settled: nothing is applied twice. A session left `applying`
        (its command was killed before its version was written) is taken over by the same
        decisions."""
        with self.locked():
            earlier = self.get(session.id)
            if earlier is not None and earlier.status != "applying":
                raise SeedforgeError(
                    f"review {session.id} was applied already ({earlier.status}, by "
                    f"{earlier.reviewer or 'nobody'} at {earlier.decided_at}); nothing applied twice",
                    path=self._path(session.id),
                )
            settled = {rid: sid for rid, sid in self.reviewed().items() if sid != session.id}
            twice = sorted({d.id for d in session.decisions} & set(settled))
            if twice:
                detail = ", ".join(f"{rid} (review {settled[rid]})" for rid in twice[:5])
                raise SeedforgeError(
                    f"{len(twice)} record(s) were reviewed already: {detail}; nothing applied twice",
                    path=self.folder,
                )
            self.save(session)

    def forget(self, session_id: str) -> None:
        """Drop a session whose effects were never written (its version failed)."""
        self._path(session_id).unlink(missing_ok=True)

    def save(self, session: ReviewSession) -> None:
        """Write (or update) a session's file atomically."""
        self.sessions_dir.mkdir(parents=True, exist_ok=True)
        write_json_atomic(self._path(session.id), json.loads(session.model_dump_json()))
