"""The curation index on Redis, for scale-out: datasketch's Redis storage holds the
MinHash-LSH of every earlier build; a hash holds their signatures (to verify LSH candidates)
and a list their ids and compared texts (for exact dedup and the novelty rule).

A build's entries are written at commit only (see `commit` for the order). Location:
redis://HOST:PORT/DB?prefix=NAME.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, cast
from urllib.parse import parse_qs, urlparse

import numpy as np
import redis
from datasketch import MinHashLSH
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from pipeline.curate.config import MinHashConfig
from pipeline.curate.index import FORMAT, IndexEntry, check_fingerprint
from pipeline.curate.minhash import RemoteLSH, Signer, band_digest
from pipeline.errors import SeedforgeError
from pipeline.records import utc_now

_BATCH = 10_000


def parse_redis_location(location: str) -> tuple[dict[str, Any], str]:
    url = urlparse(location)
    if url.scheme != "redis" or not url.hostname:
        raise SeedforgeError(f"not a redis://HOST:PORT/DB?prefix=NAME location: {location}")
    db = int(url.path.strip("/") or 0)
    prefix = parse_qs(url.query).get("prefix", ["seedforge"])[0]
    return {"host": url.hostname, "port": url.port or 6379, "db": db}, prefix


class RedisIndex:
    def __init__(self, location: str, fingerprint: dict[str, Any], minhash: MinHashConfig):
        self.location = location
        self.params, prefix = parse_redis_location(location)
        # a few quick retries: a CLI should say soon that the index is unreachable
        self.client = redis.Redis(**self.params, retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 2))
        self.fingerprint = {**fingerprint, "minhash_threshold": minhash.threshold}
        self.minhash = minhash
        self.keys = {name: f"{prefix}:{name}" for name in ("meta", "entries", "signatures")}
        self.lsh_basename = f"{prefix}:lsh".encode()
        try:
            self.client.hsetnx(self.keys["meta"], "fingerprint", json.dumps(self.fingerprint, sort_keys=True))
            self.client.hsetnx(self.keys["meta"], "format", FORMAT)
            stored = json.loads(cast(bytes, self.client.hget(self.keys["meta"], "fingerprint")))  # set above
        except redis.RedisError as exc:
            raise SeedforgeError(f"cannot use the Redis curation index: {exc}", path=location) from None
        check_fingerprint(stored, self.fingerprint, location)
        self._pending: list[IndexEntry] = []

    def builds(self) -> list[dict[str, Any]]:
        raw = self.client.hget(self.keys["meta"], "builds")
        return json.loads(raw) if raw else []

    def entries(self) -> Iterator[IndexEntry]:
        total = self.client.llen(self.keys["entries"])
        for start in range(0, total, _BATCH):
            for raw in self.client.lrange(self.keys["entries"], start, start + _BATCH - 1):
                item = json.loads(raw)
                yield IndexEntry(item["id"], item["text"], None)

    def _lsh(self) -> MinHashLSH:
        return MinHashLSH(
            threshold=self.minhash.threshold,
            num_perm=self.minhash.num_perm,
            hashfunc=band_digest,
            storage_config={"type": "redis", "basename": self.lsh_basename, "redis": self.params},
        )

    def _signatures_of(self, keys: list[str]) -> list[np.ndarray | None]:
        if not keys:
            return []
        raws = self.client.hmget(self.keys["signatures"], keys)
        # the client decodes nothing: values are bytes
        return [None if raw is None else np.frombuffer(cast(bytes, raw), dtype=np.uint32) for raw in raws]

    def remote(self) -> RemoteLSH:
        return RemoteLSH(self._lsh(), self._signatures_of)

    def stage(self, entry: IndexEntry) -> None:
        self._pending.append(entry)

    def commit(self, build: str) -> dict[str, Any]:
        """Signatures, then the LSH, then entries and the builds list in one transaction:
        until that last step, other readers see this build only as LSH keys, whose matches
        are real records of it."""
        for start in range(0, len(self._pending), _BATCH):
            self.client.hset(
                self.keys["signatures"],
                mapping={
                    e.id: np.asarray(e.signature, dtype=np.uint32).tobytes()
                    for e in self._pending[start : start + _BATCH]
                },
            )
        self.remote().insert_many(((e.id, e.signature) for e in self._pending), Signer(self.minhash))
        record = {"name": build, "entries": len(self._pending), "created_at": utc_now()}
        pipe = self.client.pipeline(transaction=True)
        for start in range(0, len(self._pending), _BATCH):
            pipe.rpush(
                self.keys["entries"],
                *(
                    json.dumps({"id": e.id, "text": e.text}, ensure_ascii=False)
                    for e in self._pending[start : start + _BATCH]
                ),
            )
        pipe.hset(self.keys["meta"], "builds", json.dumps(self.builds() + [record]))
        pipe.execute()
        self._pending = []
        return record

    def abort(self) -> None:
        self._pending = []
