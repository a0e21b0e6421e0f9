"""A real PostgreSQL server (Debian's `postgresql` package: 15 on this machine) for tests and
benchmarks: a fresh cluster (initdb) in a temp dir on a free 127.0.0.1 port, with a password for
its one user, its unix socket in the temp dir, stopped and removed afterwards.

initdb and postgres refuse to run as root: as root they run as the `postgres` user
(`runuser`), on a data dir that user owns."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.support.redis_server import free_port

POSTGRES_LIB = Path("/usr/lib/postgresql")  # Debian keeps each major version's binaries here
USER = "seedforge"
PASSWORD = "pg-test-secret"


@dataclass(frozen=True)
class PostgresServer:
    port: int
    socket_dir: Path
    database: str = "postgres"

    def url(
        self, *, password: str = PASSWORD, database: str | None = None, driver: str = "postgresql"
    ) -> str:
        return (
            f"{driver}://{USER}:{quote(password, safe='')}@127.0.0.1:{self.port}/{database or self.database}"
        )


def postgres_bin_dir() -> Path:
    found = sorted(
        POSTGRES_LIB.glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0
    )
    if found:
        return found[-1].parent  # the newest installed
    if os.environ.get("CI"):
        pytest.fail("PostgreSQL is missing: scripts/setup.sh installs it")
    pytest.skip("PostgreSQL (the postgresql package) is not installed")


def _as_server_user(args: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return args
    runuser = shutil.which("runuser")
    if runuser is None:
        pytest.skip("running as root without runuser: cannot start PostgreSQL")
    return [runuser, "-u", "postgres", "--", *args]


def _chown_to_server_user(path: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, "postgres", "postgres")


@contextmanager
def postgres_server(*, fsync: bool = False) -> Iterator[PostgresServer]:
    """`fsync=False` for tests (nothing here must survive a power cut); benchmarks keep it on."""
    binaries = postgres_bin_dir()
    root = Path(tempfile.mkdtemp(prefix="seedforge-pg-"))
    root.chmod(0o755)  # the server user must reach its data dir inside
    data, sockets = root / "data", root / "sockets"
    data.mkdir()
    sockets.mkdir()
    for folder in (data, sockets):
        _chown_to_server_user(folder)
    password_file = root / "password"
    password_file.write_text(PASSWORD + "\n")
    password_file.chmod(0o644)
    port = free_port()
    process: subprocess.Popen[bytes] | None = None
    log = root / "postgres.log"
    try:
        subprocess.run(
            _as_server_user(
                [str(binaries / "initdb"), "-D", str(data), "-U", USER, "-A", "scram-sha-256"]
                + ["--pwfile", str(password_file), "--no-sync", "-E", "UTF8", "--locale", "C"]
            ),
            check=True,
            capture_output=True,
        )
        settings = ["-c", f"unix_socket_directories={sockets}", "-c", "listen_addresses=127.0.0.1"]
        settings += ["-p", str(port), "-c", f"fsync={'on' if fsync else 'off'}"]
        with log.open("wb") as out:
            process = subprocess.Popen(
                _as_server_user([str(binaries / "postgres"), "-D", str(data), *settings]),
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 20
        while not _accepts(binaries, sockets, port):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"postgres did not start:\n{log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.05)
        yield PostgresServer(port, sockets)
    finally:
        if process is not None:
            process.terminate()  # smart shutdown: SIGTERM
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(root, ignore_errors=True)


def _accepts(binaries: Path, sockets: Path, port: int) -> bool:
    ready = subprocess.run(
        [str(binaries / "pg_isready"), "-h", str(sockets), "-p", str(port), "-q"], capture_output=True
    )
    return ready.returncode == 0


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One server for the session (initdb takes seconds); each test takes its own database."""
    with postgres_server() as server:
        yield server


@pytest.fixture
def postgres_url(postgres: PostgresServer) -> str:
    """A fresh, empty database on the session's server, as a journal URL."""
    import uuid

    import psycopg

    name = f"journal_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres.url(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return postgres.url(database=name)
