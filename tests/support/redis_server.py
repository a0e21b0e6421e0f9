"""A real redis-server (the Debian package) for tests: on a free 127.0.0.1 port in a temp
dir, optionally with a password (`--requirepass`) or TLS only (a self-signed certificate made
with `openssl`), stopped afterwards. Nothing is saved to disk."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def redis_binary() -> str:
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is missing: scripts/setup.sh installs it")
        pytest.skip("redis-server is not installed (scripts/setup.sh installs it)")
    return binary


@dataclass(frozen=True)
class RedisServer:
    port: int
    password: str | None = None
    ca_file: Path | None = None  # set when the server speaks TLS only
    unix_socket: Path | None = None

    def url(self, db: int = 0, prefix: str = "test", password: str | None = None) -> str:
        """A location for this server: the server's own password unless one is given ("" for none)."""
        secret = self.password if password is None else password
        auth = f":{quote(secret, safe='')}@" if secret else ""
        if self.ca_file is not None:
            return f"rediss://{auth}127.0.0.1:{self.port}/{db}?prefix={prefix}&ssl_ca_certs={self.ca_file}"
        return f"redis://{auth}127.0.0.1:{self.port}/{db}?prefix={prefix}"

    def client(self, db: int = 0) -> Any:
        import redis

        if self.ca_file is not None:
            return redis.Redis(
                host="127.0.0.1",
                port=self.port,
                db=db,
                password=self.password,
                ssl=True,
                ssl_ca_certs=str(self.ca_file),
            )
        return redis.Redis(host="127.0.0.1", port=self.port, db=db, password=self.password)


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (its own CA) and its key, made with openssl."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = directory / "redis.crt", directory / "redis.key"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@contextmanager
def redis_server(
    directory: Path, *, password: str | None = None, tls: bool = False, unix_socket: bool = False
) -> Iterator[RedisServer]:
    binary = redis_binary()
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = directory / "redis.log"
    args = [binary, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(directory)]
    args += ["--logfile", str(log)]
    ca_file = None
    if tls:
        cert, key = self_signed_certificate(directory)
        ca_file = cert
        args += ["--port", "0", "--tls-port", str(port), "--tls-cert-file", str(cert)]
        args += ["--tls-key-file", str(key), "--tls-ca-cert-file", str(cert), "--tls-auth-clients", "no"]
    else:
        args += ["--port", str(port)]
    socket_path = directory / "redis.sock" if unix_socket else None
    if socket_path is not None:
        args += ["--unixsocket", str(socket_path), "--unixsocketperm", "700"]
    if password:
        args += ["--requirepass", password]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = RedisServer(port, password, ca_file, socket_path)
    import redis

    try:
        client = server.client()
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    if client.ping():
                        break
                except redis.RedisError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        output = log.read_text(errors="replace") if log.exists() else ""
                        pytest.fail(f"redis-server did not start:\n{output[-2000:]}")
                    time.sleep(0.05)
        finally:
            client.close()
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
