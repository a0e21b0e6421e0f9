"""The Redis curation index as users deploy it: every part of the URL honoured (user,
password, DB, TLS, unix socket, seedforge's prefix), the same connection for datasketch's
LSH storage, clear errors at open with the password masked, SEEDFORGE_REDIS_URL."""

from __future__ import annotations

import json
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from redis.connection import SSLConnection, UnixDomainSocketConnection
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.curate.config import CurateConfig
from pipeline.curate.curator import Curator
from pipeline.curate.files import curate_file, index_location_for, open_index
from pipeline.curate.index_location import shown_location, with_dataset_prefix
from pipeline.curate.index_redis import RedisIndex, parse_redis_location
from pipeline.environment import Settings
from pipeline.errors import SeedforgeError
from tests.curate.conftest import alpaca
from tests.support.redis_server import RedisServer, free_port, redis_server

PASSWORD = "pa:ss@w/rd"  # characters a URL must percent-encode
RECORDS = [
    alpaca("Explain how a bicycle gear works on steep hills."),
    alpaca("Write a short poem about the sea."),
    alpaca("Name three rivers that flow through Europe."),
]


@pytest.fixture
def server(tmp_path: Path):
    with redis_server(tmp_path / "redis", password=PASSWORD, unix_socket=True) as running:
        yield running


def build(location: str, records=RECORDS, name: str = "v1") -> Curator:
    index = open_index(location, CurateConfig())
    curator = Curator(CurateConfig(), index=index)
    curator.consider(records)
    index.commit(name)
    return curator


# --- the URL, as redis-py reads it -------------------------------------------------------


def test_user_password_db_and_prefix_are_read_from_the_url() -> None:
    where = parse_redis_location("redis://bob:p%40ss%3Aw@cache.example:6380/3?prefix=ds")
    assert where.prefix == "ds"
    assert {k: where.params[k] for k in ("host", "port", "db", "username", "password")} == {
        "host": "cache.example",
        "port": 6380,
        "db": 3,
        "username": "bob",
        "password": "p@ss:w",
    }
    assert "prefix" not in where.params
    assert where.shown == "redis://bob:***@cache.example:6380/3?prefix=ds"


def test_a_password_without_user_and_db_as_an_option() -> None:
    where = parse_redis_location("redis://:secret@h/2")
    assert where.params["password"] == "secret" and "username" not in where.params
    assert where.params["db"] == 2 and where.prefix == "seedforge"
    assert parse_redis_location("redis://h/2?db=5").params["db"] == 5  # redis-py: the option wins
    assert "secret" not in where.shown and where.shown == "redis://:***@h/2"


def test_tls_options_reach_redis_py() -> None:
    where = parse_redis_location(
        "rediss://:pw@h:6390/1?ssl_cert_reqs=none&ssl_ca_certs=/etc/ca.pem&ssl_check_hostname=false&prefix=p"
    )
    assert where.params["ssl"] is True
    assert where.params["ssl_cert_reqs"] == "none" and where.params["ssl_ca_certs"] == "/etc/ca.pem"
    assert where.params["ssl_check_hostname"] is False
    pool = redis.Redis(**where.params).connection_pool
    assert pool.connection_class is SSLConnection


@pytest.mark.parametrize(
    "url",
    [
        "redis://bob:p%40ss@h:6380/3",
        "redis://:pw@h/4?socket_timeout=2.5&health_check_interval=10",
        "rediss://:pw@h:6390/1?ssl_cert_reqs=required&ssl_ca_certs=/etc/ca.pem",
        "unix:///run/redis.sock?db=2&password=pw",
    ],
)
def test_the_client_is_the_one_redis_py_from_url_makes(url: str) -> None:
    ours = redis.Redis(**parse_redis_location(url + ("&" if "?" in url else "?") + "prefix=x").params)
    theirs = redis.Redis.from_url(url)
    assert ours.connection_pool.connection_class is theirs.connection_pool.connection_class
    added = {"retry", "socket_connect_timeout"}  # seedforge's defaults for a quick answer
    assert ours.connection_pool.connection_kwargs.get(
        "password"
    ) == theirs.connection_pool.connection_kwargs.get("password")
    for key, value in theirs.connection_pool.connection_kwargs.items():
        if not any(name in key for name in added) and isinstance(value, str | int | float | bool | None):
            assert ours.connection_pool.connection_kwargs[key] == value, key


def test_a_unix_socket_location() -> None:
    where = parse_redis_location("unix:///run/redis.sock?db=2&prefix=t")
    assert where.params["unix_socket_path"] == "/run/redis.sock" and where.params["db"] == 2
    assert redis.Redis(**where.params).connection_pool.connection_class is UnixDomainSocketConnection


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("redis://:secret@h/0?colour=red", "unknown option"),
        ("redis://:secret@h/first", "database must be a number"),
        ("redis://:secret@h/0?db=x", "Invalid value for 'db'"),
        ("redis://:secret@/0", "names no host"),
        ("redis://:secret@h/0?decode_responses=true", "decode_responses"),
    ],
)
def test_a_bad_location_is_named_without_its_password(url: str, message: str) -> None:
    with pytest.raises(SeedforgeError, match=message) as caught:
        open_index(url, CurateConfig())
    assert "secret" not in str(caught.value) and "***" in str(caught.value)


def test_shown_location_masks_every_password() -> None:
    assert shown_location("redis://u:p@h:1/0?prefix=a") == "redis://u:***@h:1/0?prefix=a"
    assert shown_location("unix:///s.sock?db=1&password=p") == "unix:///s.sock?db=1&password=***"
    assert shown_location("rediss://h/0") == "rediss://h/0"
    assert shown_location("/data/index/demo") == "/data/index/demo"


# --- a real server with a password -------------------------------------------------------


def test_the_password_and_the_db_are_honoured(server: RedisServer) -> None:
    build(server.url(db=3))
    assert server.client(db=3).llen("test:entries") == len(RECORDS)
    assert server.client(db=0).dbsize() == 0  # nothing landed in the default DB
    # datasketch's LSH storage got the same connection: its keys are in DB 3 too
    assert server.client(db=3).keys("test:lsh*")
    index = open_index(server.url(db=3), CurateConfig())
    assert isinstance(index, RedisIndex)
    storage = index.remote().lsh.hashtables[0]
    assert storage._redis.connection_pool.connection_kwargs["password"] == PASSWORD
    assert storage._redis.connection_pool.connection_kwargs["db"] == 3
    curator = Curator(CurateConfig(), index=index)
    assert curator.consider_one(RECORDS[0]).reason == "exact_duplicate"


def test_a_missing_password_is_a_clear_error(server: RedisServer) -> None:
    location = server.url(password="")
    with pytest.raises(SeedforgeError, match="authentication failed: the server wants a password") as caught:
        open_index(location, CurateConfig())
    assert str(caught.value).startswith(f"{location}: cannot use the Redis curation index")


def test_a_wrong_password_is_a_clear_error_that_does_not_show_it(server: RedisServer) -> None:
    location = server.url(password="not-the-password")
    with pytest.raises(SeedforgeError, match="authentication failed: wrong user name or password") as caught:
        open_index(location, CurateConfig())
    assert "not-the-password" not in str(caught.value)
    assert f"redis://:***@127.0.0.1:{server.port}/0?prefix=test: cannot use" in str(caught.value)


def test_a_db_the_server_does_not_have_is_a_clear_error(server: RedisServer) -> None:
    with pytest.raises(SeedforgeError, match="database 99 does not exist"):
        open_index(server.url(db=99), CurateConfig())


def test_an_unreachable_server_is_named_fast() -> None:
    port = free_port()
    started = time.monotonic()
    with pytest.raises(SeedforgeError, match=f"redis://:\\*\\*\\*@127.0.0.1:{port}/0: .*connection refused"):
        open_index(f"redis://:pw@127.0.0.1:{port}/0", CurateConfig())
    assert time.monotonic() - started < 3


def test_a_unix_socket_server(server: RedisServer) -> None:
    location = f"unix://{server.unix_socket}?db=1&prefix=sock&password={quote(PASSWORD, safe='')}"
    build(location)
    assert server.client(db=1).llen("sock:entries") == len(RECORDS)


def test_the_curate_command_with_a_password_url(server: RedisServer, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        "".join(json.dumps(r.model_dump(mode="json"), ensure_ascii=False) + "\n" for r in RECORDS[:2]),
        encoding="utf-8",
    )
    location = server.url(db=4, prefix="cli")
    args = ["curate", str(source), "--out", str(tmp_path / "out.jsonl"), "--index", location]
    first = CliRunner().invoke(app, [*args, "--report", str(tmp_path / "r1.json"), "--build", "v1"])
    assert first.exit_code == 0, first.output
    second = CliRunner().invoke(app, [*args, "--report", str(tmp_path / "r2.json"), "--build", "v2"])
    assert second.exit_code == 0, second.output
    assert "exact_duplicate 2" in second.output
    assert "***" in second.output and quote(PASSWORD, safe="") not in second.output
    report = (tmp_path / "r2.json").read_text(encoding="utf-8")
    assert PASSWORD not in report and quote(PASSWORD, safe="") not in report
    assert json.loads(report)["index"]["earlier_builds"] == ["v1"]
    wrong = CliRunner().invoke(app, [*args[:-1], server.url(db=4, password="nope")])
    # a service that refuses the password is an endpoint error: exit 3, not bad input
    assert wrong.exit_code == 3 and "authentication failed" in wrong.output and "nope" not in wrong.output


def test_curate_file_reports_the_location_masked(server: RedisServer, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps(RECORDS[0].model_dump(mode="json")) + "\n", encoding="utf-8")
    summary = curate_file(source, tmp_path / "out.jsonl", CurateConfig(), index=server.url(db=5))
    assert summary["index"]["location"] == f"redis://:***@127.0.0.1:{server.port}/5?prefix=test"


# --- TLS, for real: redis-server with --tls-port and a self-signed certificate -----------


def test_a_tls_server(tmp_path: Path) -> None:
    with redis_server(tmp_path / "tls", password="tls-pw", tls=True) as tls:
        location = tls.url(db=1)
        assert location.startswith("rediss://")
        build(location)
        assert tls.client(db=1).llen("test:entries") == len(RECORDS)
        index = open_index(location, CurateConfig())
        assert isinstance(index, RedisIndex)
        storage = index.remote().lsh.hashtables[0]
        assert storage._redis.connection_pool.connection_class is SSLConnection
        assert Curator(CurateConfig(), index=index).consider_one(RECORDS[1]).reason == "exact_duplicate"
        # without the CA the self-signed certificate is refused
        untrusted = f"rediss://:tls-pw@127.0.0.1:{tls.port}/1?prefix=test"
        with pytest.raises(SeedforgeError, match="TLS failed") as caught:
            open_index(untrusted, CurateConfig())
        assert "tls-pw" not in str(caught.value)
        # redis-py's ssl_cert_reqs=none, from the URL, is honoured
        build(untrusted + "&ssl_cert_reqs=none", RECORDS[:1], "v2")
        # plain redis:// against a TLS port fails at open, not during a build
        with pytest.raises(SeedforgeError, match="cannot use the Redis curation index"):
            open_index(f"redis://:tls-pw@127.0.0.1:{tls.port}/1", CurateConfig())


# --- SEEDFORGE_REDIS_URL ------------------------------------------------------------------


def test_the_setting_is_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEEDFORGE_REDIS_URL", "redis://:hidden@redis:6379/0")
    settings = Settings()
    assert settings.redis_url is not None
    assert settings.redis_url.get_secret_value() == "redis://:hidden@redis:6379/0"
    assert "hidden" not in repr(settings) and "hidden" not in str(settings.redis_url)


def test_index_location_for_a_dataset(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SEEDFORGE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("SEEDFORGE_REDIS_URL", raising=False)
    assert index_location_for("demo") == str(tmp_path / "index" / "demo")
    monkeypatch.setenv("SEEDFORGE_REDIS_URL", "redis://:pw@redis:6379/0")
    assert index_location_for("demo") == "redis://:pw@redis:6379/0?prefix=seedforge:demo"
    assert parse_redis_location(index_location_for("demo")).prefix == "seedforge:demo"
    monkeypatch.setenv("SEEDFORGE_REDIS_URL", "rediss://:pw@redis/2?prefix=team&ssl_cert_reqs=none")
    where = parse_redis_location(index_location_for("demo"))
    assert where.prefix == "team:demo" and where.params["ssl_cert_reqs"] == "none"
    assert with_dataset_prefix("redis://h/0?prefix=a", "b").endswith("prefix=a:b")


def test_datasets_sharing_one_redis_url_keep_apart(
    server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEEDFORGE_REDIS_URL", server.url(db=6).split("?")[0])
    build(index_location_for("first"))
    other = open_index(index_location_for("second"), CurateConfig())
    assert other.builds() == [] and list(other.entries()) == []
    assert [b["name"] for b in open_index(index_location_for("first"), CurateConfig()).builds()] == ["v1"]
