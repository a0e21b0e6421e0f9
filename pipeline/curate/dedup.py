"""Exact duplicates after normalisation (case, whitespace, full/half-width)."""

from __future__ import annotations

import hashlib

from pipeline.text import normalize


def exact_key(*texts: str) -> str:
    joined = "\x1f".join(normalize(text) for text in texts)
    return hashlib.blake2b(joined.encode("utf-8"), digest_size=16).hexdigest()


class ExactIndex:
    def __init__(self) -> None:
        self._seen: dict[str, str] = {}

    def first_with(self, key: str) -> str | None:
        return self._seen.get(key)

    def add(self, key: str, record_id: str) -> None:
        self._seen.setdefault(key, record_id)
