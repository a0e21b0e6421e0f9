"""The curation index on Redis, for scale-out: datasketch's Redis storage holds the
MinHash-LSH of every earlier build; a hash holds their signatures (to verify LSH candidates)
and a list their ids and compared texts (for exact dedup and the novelty rule).

A location is a redis-py URL plus seedforge's `prefix` option (the keys' namespace, default
"seedforge"): `redis://[[USER]:PASSWORD@]HOST[:PORT][/DB][?prefix=NAME]`, `rediss://…` for TLS
(with redis-py's `ssl_cert_reqs`, `ssl_ca_certs`, … options), `unix:///PATH.sock?db=N`.
redis-py parses it; the same parameters reach datasketch's storages. Opening pings the server,
so a wrong password or an unreachable server stops a build before any request is sent.

A build's entries are written at commit only (see `commit` for the order); concurrent commits
of several builds each land whole.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlsplit

import numpy as np
import redis
from datasketch import MinHashLSH
from redis.backoff import ExponentialBackoff
from redis.connection import SSLConnection, UnixDomainSocketConnection, parse_url
from redis.retry import Retry

from pipeline.curate.config import MinHashConfig
from pipeline.curate.index import FORMAT, IndexEntry, check_fingerprint
from pipeline.curate.index_location import (
    DEFAULT_PREFIX,
    MASK,
    REDIS_SCHEMES,
    join_query,
    shown_location,
    split_query,
)
from pipeline.curate.minhash import RemoteLSH, Signer, band_digest
from pipeline.errors import EndpointError, SeedforgeError
from pipeline.records import utc_now

_BATCH = 10_000
CONNECT_TIMEOUT_S = 3.0  # a CLI should say soon that the index is unreachable
_CLIENT_OPTIONS = frozenset(inspect.signature(redis.Redis.__init__).parameters) - {"self", "connection_pool"}


@dataclass(frozen=True)
class RedisLocation:
    params: dict[str, Any]  # keyword arguments of redis.Redis; datasketch's storages get the same
    prefix: str
    shown: str  # the location with its password masked, for messages and reports


def _quick_retry() -> Retry:
    return Retry(ExponentialBackoff(cap=0.5, base=0.05), 2)


def parse_redis_location(location: str) -> RedisLocation:
    """redis-py's own URL parsing (`redis.connection.parse_url`), less seedforge's `prefix`,
    as `redis.Redis` keyword arguments (a TLS or socket URL's connection class becomes
    `ssl=True` or `unix_socket_path`, which is how datasketch can be handed them)."""
    shown = shown_location(location)
    parts = urlsplit(location)
    if parts.scheme not in REDIS_SCHEMES:
        raise SeedforgeError("not a redis://, rediss:// or unix:// location", path=shown)
    head, query = split_query(location)
    prefixes = [value for key, value in query if key == "prefix"]
    prefix = prefixes[-1] if prefixes else DEFAULT_PREFIX
    if not prefix:
        raise SeedforgeError("the prefix option is empty", path=shown)
    rest = join_query(head, [(key, value) for key, value in query if key != "prefix"])
    try:
        options: dict[str, Any] = parse_url(rest)  # type: ignore[no-untyped-call]
    except ValueError as exc:
        raise SeedforgeError(f"not a Redis location: {exc}", path=shown) from None
    connection_class = options.pop("connection_class", None)
    if connection_class is SSLConnection:
        options["ssl"] = True
    elif connection_class is UnixDomainSocketConnection:
        options["unix_socket_path"] = options.pop("path", None)
        if not options["unix_socket_path"]:
            raise SeedforgeError("a unix:// location needs the socket's path", path=shown)
    if parts.scheme != "unix":
        if not options.get("host"):
            raise SeedforgeError("the location names no host", path=shown)
        if parts.path.strip("/") and "db" not in options:
            raise SeedforgeError(f"the database must be a number, not {parts.path.strip('/')!r}", path=shown)
    unknown = sorted(set(options) - _CLIENT_OPTIONS)
    if unknown:
        raise SeedforgeError(
            f"unknown option(s) {', '.join(unknown)}: seedforge adds 'prefix' to redis-py's "
            "connection options",
            path=shown,
        )
    if options.get("decode_responses"):
        raise SeedforgeError("decode_responses: the index stores bytes", path=shown)
    options.setdefault("socket_connect_timeout", CONNECT_TIMEOUT_S)
    options.setdefault("retry", _quick_retry())
    return RedisLocation(options, prefix, shown)


def describe_failure(exc: redis.RedisError, params: dict[str, Any]) -> str:
    """What failed, in words a user can act on, then redis-py's message (password masked)."""
    text = str(exc)
    if params.get("password"):
        text = text.replace(str(params["password"]), MASK)
    lowered = text.lower()
    if isinstance(exc, redis.AuthenticationError):
        if not params.get("password"):
            what = "authentication failed: the server wants a password and the location gives none"
        else:
            what = "authentication failed: wrong user name or password"
    elif isinstance(exc, redis.ResponseError) and "db index is out of range" in lowered:
        what = f"database {params.get('db', 0)} does not exist on the server"
    elif isinstance(exc, redis.TimeoutError):
        what = "timed out"
    elif isinstance(exc, redis.ConnectionError):
        if "refused" in lowered:
            what = "connection refused"
        elif "ssl" in lowered or "certificate" in lowered:
            what = "TLS failed"
        elif "name or service not known" in lowered or "nodename nor servname" in lowered:
            what = "unknown host"
        elif "reset by peer" in lowered or "closed by server" in lowered:
            what = "connection closed by the server (a TLS server needs rediss://)"
        elif "no such file" in lowered:
            what = "no such socket"
        else:
            what = "cannot connect"
    else:
        what = "the server refused"
    return f"{what} ({text})"


class RedisIndex:
    def __init__(self, location: str, fingerprint: dict[str, Any], minhash: MinHashConfig):
        where = parse_redis_location(location)
        self.location = where.shown  # reports and messages never see the password
        self.params = where.params
        self.client = redis.Redis(**self.params)
        self.fingerprint = {**fingerprint, "minhash_threshold": minhash.threshold}
        self.minhash = minhash
        self.keys = {name: f"{where.prefix}:{name}" for name in ("meta", "entries", "signatures")}
        self.lsh_basename = f"{where.prefix}:lsh".encode()
        with self._named_failures():
            self.client.ping()
            self.client.hsetnx(self.keys["meta"], "fingerprint", json.dumps(self.fingerprint, sort_keys=True))
            self.client.hsetnx(self.keys["meta"], "format", FORMAT)
            stored = json.loads(cast(bytes, self.client.hget(self.keys["meta"], "fingerprint")))  # set above
        check_fingerprint(stored, self.fingerprint, self.location)
        self._pending: list[IndexEntry] = []

    @contextmanager
    def _named_failures(self) -> Iterator[None]:
        try:
            yield
        except redis.RedisError as exc:
            raise EndpointError(
                f"cannot use the Redis curation index: {describe_failure(exc, self.params)}",
                path=self.location,
            ) from None

    def builds(self) -> list[dict[str, Any]]:
        raw = self.client.hget(self.keys["meta"], "builds")
        return json.loads(cast(bytes, raw)) if raw else []

    def entries(self) -> Iterator[IndexEntry]:
        total = self.client.llen(self.keys["entries"])
        for start in range(0, total, _BATCH):
            for raw in cast(list[bytes], self.client.lrange(self.keys["entries"], start, start + _BATCH - 1)):
                item = json.loads(raw)
                yield IndexEntry(item["id"], item["text"], None)

    def _lsh(self) -> MinHashLSH:
        return MinHashLSH(
            threshold=self.minhash.threshold,
            num_perm=self.minhash.num_perm,
            hashfunc=band_digest,
            storage_config={"type": "redis", "basename": self.lsh_basename, "redis": dict(self.params)},
        )

    def _signatures_of(self, keys: list[str]) -> list[np.ndarray | None]:
        if not keys:
            return []
        raws = cast(list[bytes | None], self.client.hmget(self.keys["signatures"], keys))
        # the client decodes nothing: values are bytes
        return [None if raw is None else np.frombuffer(raw, dtype=np.uint32) for raw in raws]

    def remote(self) -> RemoteLSH:
        return RemoteLSH(self._lsh(), self._signatures_of)

    def stage(self, entry: IndexEntry) -> None:
        self._pending.append(entry)

    def commit(self, build: str) -> dict[str, Any]:
        """Signatures, then the LSH, then entries and the builds list in one transaction:
        until that last step, other readers see this build only as LSH keys, whose matches
        are real records of it. The transaction watches the builds list, so two builds
        committing at once each append to it (the later one re-reads and retries)."""
        pending = self._pending
        record = {"name": build, "entries": len(pending), "created_at": utc_now()}
        rows = [json.dumps({"id": e.id, "text": e.text}, ensure_ascii=False) for e in pending]
        meta = self.keys["meta"]

        def publish(pipe: redis.client.Pipeline) -> None:
            raw = pipe.hget(meta, "builds")  # watched: executes at once
            builds = json.loads(cast(bytes, raw)) if raw else []
            pipe.multi()
            for start in range(0, len(rows), _BATCH):
                pipe.rpush(self.keys["entries"], *rows[start : start + _BATCH])
            pipe.hset(meta, "builds", json.dumps([*builds, record]))

        with self._named_failures():
            for start in range(0, len(pending), _BATCH):
                self.client.hset(
                    self.keys["signatures"],
                    mapping={
                        e.id: np.asarray(e.signature, dtype=np.uint32).tobytes()
                        for e in pending[start : start + _BATCH]
                    },
                )
            self.remote().insert_many(((e.id, e.signature) for e in pending), Signer(self.minhash))
            self.client.transaction(publish, meta)
        self._pending = []
        return record

    def abort(self) -> None:
        self._pending = []
