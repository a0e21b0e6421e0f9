"""The PostgreSQL fixtures of the journal tests (a real server, started once a session)."""

from tests.support.postgres_server import postgres, postgres_url

__all__ = ["postgres", "postgres_url"]
