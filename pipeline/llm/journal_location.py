"""Where the request journal lives, and `open_journal`, the one way every stage opens it.

A location is a file path or `sqlite:///PATH` (SQLite, the default: DATA_DIR/journal.sqlite3),
or `postgresql://USER:PASSWORD@HOST:PORT/DATABASE` (also `postgresql+psycopg://`, `postgres://`)
for a journal shared by workers on several machines. SEEDFORGE_JOURNAL_URL sets it for every
stage; SEEDFORGE_JOURNAL_LEASE_S sets how long a lease lives without renewal.

A PostgreSQL journal is connected to (and its tables made) when it is opened, so an unreachable
server, bad credentials or a missing database fail there, before any request is sent. Every
message shows the URL with its password masked."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import EndpointError, SeedforgeError
from pipeline.llm.journal_api import JournalStore
from pipeline.settings import data_dir, settings

DEFAULT_FILE = "journal.sqlite3"
CONNECT_TIMEOUT_S = 5  # a CLI should say soon that the journal is unreachable
EXPECTED = "a file path, sqlite:///PATH, or postgresql://USER:PASSWORD@HOST:PORT/DATABASE"
POSTGRES_SCHEMES = ("postgresql", "postgresql+psycopg", "postgres")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_PASSWORD = re.compile(r"^([^:/?#]+://[^:/@]*:)([^@]*)@")
MASK = "***"


@dataclass(frozen=True)
class JournalLocation:
    kind: str  # sqlite | postgresql
    path: Path | None  # the SQLite file
    url: str | None  # the SQLAlchemy URL (postgresql+psycopg://), password included
    shown: str  # for messages: the password masked


def shown_location(location: str) -> str:
    """The location with the password of its user part as ***."""
    return _PASSWORD.sub(lambda m: m.group(1) + MASK + "@", location)


def parse_journal_location(location: str | Path) -> JournalLocation:
    if isinstance(location, Path):
        return JournalLocation("sqlite", location, None, str(location))
    text = location.strip()
    shown = shown_location(text)
    match = _SCHEME.match(text)
    if match is None:
        if not text:
            raise SeedforgeError(f"the journal location is empty: expected {EXPECTED}", path=shown)
        return JournalLocation("sqlite", Path(text), None, shown)
    scheme = match.group(1).lower()
    if scheme == "sqlite":
        path = text[len("sqlite:///") :] if text.startswith("sqlite:///") else ""
        if not path:
            raise SeedforgeError(
                f"a SQLite journal needs a file: expected sqlite:///PATH ({EXPECTED})", path=shown
            )
        return JournalLocation("sqlite", Path(path), None, shown)
    if scheme not in POSTGRES_SCHEMES:
        raise SeedforgeError(f"unknown journal scheme {scheme!r}: expected {EXPECTED}", path=shown)
    return JournalLocation("postgresql", None, _sqlalchemy_url(text, shown), shown)


def _sqlalchemy_url(text: str, shown: str) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url("postgresql+psycopg" + text[text.index("://") :])
    except (ArgumentError, ValueError) as exc:
        raise SeedforgeError(f"not a PostgreSQL URL ({exc}): expected {EXPECTED}", path=shown) from None
    if not url.host and "host" not in url.query:
        raise SeedforgeError(f"the URL names no host: expected {EXPECTED}", path=shown)
    if not url.database:
        raise SeedforgeError(f"the URL names no database: expected {EXPECTED}", path=shown)
    return url.render_as_string(hide_password=False)


def configured_location() -> str | Path:
    """SEEDFORGE_JOURNAL_URL when set, else DATA_DIR/journal.sqlite3."""
    url = settings().journal_url
    if url is not None and url.get_secret_value().strip():
        return url.get_secret_value().strip()
    return data_dir() / DEFAULT_FILE


def open_journal(location: str | Path | None = None, *, lease_s: float | None = None) -> JournalStore:
    """The journal at `location` (a path or URL), else the configured one. Raises SeedforgeError
    for a location of an unknown form, EndpointError when a PostgreSQL journal cannot be reached
    or refuses the credentials: both name the location (password masked) and what was expected."""
    where = parse_journal_location(configured_location() if location is None else location)
    lease = lease_s if lease_s is not None else settings().journal_lease_s
    if where.kind == "sqlite":
        from pipeline.llm.journal import Journal

        assert where.path is not None
        return Journal(where.path, lease_s=lease)
    return _open_postgres(where, lease)


def check_journal(location: str | Path | None = None) -> None:
    """Open the journal and close it: a build calls this before it writes anything."""
    open_journal(location).close()


def _open_postgres(where: JournalLocation, lease_s: float) -> JournalStore:
    import psycopg
    from sqlalchemy import create_engine
    from sqlalchemy.exc import SQLAlchemyError

    from pipeline.llm.journal_postgres import PostgresJournal

    assert where.url is not None
    engine = create_engine(
        where.url,
        isolation_level="AUTOCOMMIT",  # one statement, one commit: an answer is kept on return
        # as the SQLite journal's synchronous=NORMAL: a commit survives the worker killed at any
        # moment, not the server's own crash; no fsync wait per answer on the client's event loop
        connect_args={
            "connect_timeout": CONNECT_TIMEOUT_S,
            "options": "-c synchronous_commit=off",
            "autocommit": True,  # the journal runs statements on psycopg's own connections
        },
        pool_size=4,
        max_overflow=12,
    )
    try:
        return PostgresJournal(engine, where.shown, lease_s=lease_s)
    except (SQLAlchemyError, psycopg.Error) as exc:
        engine.dispose()
        raise EndpointError(
            f"cannot open the journal: {_failure(exc, where.url)}; expected a reachable PostgreSQL "
            "server that accepts this URL's user, password and database (SEEDFORGE_JOURNAL_URL)",
            path=where.shown,
        ) from None


def _failure(exc: Exception, url: str) -> str:
    """What failed in words, then the driver's first line (a password in it masked)."""
    from sqlalchemy.engine import make_url

    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0] if str(exc).strip() else ""
    password = make_url(url).password
    if password:
        detail = detail.replace(str(password), MASK)
    lowered = detail.lower()
    if "password authentication failed" in lowered or "no password supplied" in lowered:
        what = "authentication failed: wrong user name or password"
    elif "does not exist" in lowered and "database" in lowered:
        what = "the database does not exist"
    elif "refused" in lowered:
        what = "connection refused"
    elif "timeout" in lowered or "timed out" in lowered:
        what = "timed out"
    elif "name or service not known" in lowered or "could not translate host name" in lowered:
        what = "unknown host"
    elif "permission denied" in lowered:
        what = "permission denied"
    else:
        what = "the server failed"
    return f"{what} ({detail})"
