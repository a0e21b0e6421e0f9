"""Near-duplicates by MinHash-LSH (datasketch): word shingles for space-delimited text,
character shingles for CJK text (the CJK-aware tokenizer makes each CJK character a token).

LSH only proposes candidates; a candidate counts as a near-duplicate when the Jaccard
similarity estimated from the two signatures reaches the threshold, and that estimate is
the evidence. In memory, the LSH tables use a compact storage (one int per bucket entry
instead of datasketch's set per bucket): a million records then fit in about a gigabyte.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable, Iterable, Iterator, KeysView
from dataclasses import dataclass
from typing import Any, NoReturn

import numpy as np
from datasketch import MinHash, MinHashLSH
from datasketch.storage import OrderedStorage, UnorderedStorage

from pipeline.curate.config import MinHashConfig
from pipeline.text import ascii_token_bytes, cjk_ratio, tokenize

SCHEME = "affine32"
_CHUNK = 65536  # signatures are kept in fixed-size numpy blocks, never one huge copy


def band_digest(band: bytes) -> bytes:
    """LSH bucket key: 8 bytes instead of 4·r, the same in memory and in Redis."""
    return hashlib.blake2b(band, digest_size=8).digest()


_EMPTY = np.uint32(0xFFFFFFFF)  # an empty MinHash's values


def _fmix32(hashes: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer, which the affine32 scheme applies to each shingle's
    hash before permuting it (uint32 arithmetic wraps)."""
    hashes = hashes ^ (hashes >> np.uint32(16))
    hashes *= np.uint32(0x85EBCA6B)
    hashes ^= hashes >> np.uint32(13)
    hashes *= np.uint32(0xC2B2AE35)
    hashes ^= hashes >> np.uint32(16)
    return hashes


SHINGLE_HASH = "crc32"  # stable across processes (index files), and fast; datasketch mixes it


def shingles(text: str, config: MinHashConfig) -> set[bytes]:
    return set(_shingle_list(text, config))


def _shingle_list(text: str, config: MinHashConfig) -> list[bytes]:
    """The shingles in text order, a repeated one as often as it occurs (a minimum does not
    mind repeats, and a set costs as much as the hashing)."""
    if text.isascii():  # no CJK; tokens straight to bytes
        tokens: list[bytes] = ascii_token_bytes(text)
        size = config.word_ngram
    else:
        tokens = [token.encode("utf-8") for token in tokenize(text)]
        size = config.cjk_ngram if cjk_ratio(text) > 0.5 else config.word_ngram
    if len(tokens) <= size:
        return [b"\x1f".join(tokens)] if tokens else []
    grams = zip(*(tokens[start:] for start in range(size)), strict=False)  # shifted: shorter
    return [b"\x1f".join(gram) for gram in grams]


class _Buckets(UnorderedStorage):  # type: ignore[misc]  # datasketch has no type hints
    """A bucket holds one key (an int) or, rarely, a tuple of them."""

    def __init__(self) -> None:
        self._dict: dict[bytes, int | tuple[int, ...]] = {}

    def keys(self) -> KeysView[bytes]:
        return self._dict.keys()

    def get(self, key: bytes) -> tuple[int, ...]:
        value = self._dict.get(key, ())
        return value if isinstance(value, tuple) else (value,)

    def insert(self, key: bytes, *vals: int, **kwargs: Any) -> None:
        current = self._dict.get(key)
        if current is None and len(vals) == 1:
            self._dict[key] = vals[0]
        else:
            self._dict[key] = self.get(key) + vals if current is not None else vals

    def remove(self, *keys: bytes, **kwargs: Any) -> NoReturn:
        raise NotImplementedError("the curation index is append-only")

    def remove_val(self, key: bytes, val: int) -> NoReturn:
        raise NotImplementedError("the curation index is append-only")

    def size(self) -> int:
        return len(self._dict)

    def itemcounts(self, **kwargs: Any) -> dict[bytes, int]:
        return {key: len(self.get(key)) for key in self._dict}

    def has_key(self, key: bytes) -> bool:
        return key in self._dict


class _SequentialKeys(OrderedStorage):  # type: ignore[misc]  # datasketch has no type hints
    """Keys are 0, 1, 2, ... in insertion order: membership needs only their count."""

    def __init__(self) -> None:
        self.count = 0

    def keys(self) -> Iterator[int]:
        return iter(range(self.count))

    def get(self, key: int) -> NoReturn:
        raise NotImplementedError("band hashes are not kept per key")

    def insert(self, key: int, *vals: Any, **kwargs: Any) -> None:
        self.count += 1

    def remove(self, *keys: int, **kwargs: Any) -> NoReturn:
        raise NotImplementedError("the curation index is append-only")

    def remove_val(self, key: int, val: Any) -> NoReturn:
        raise NotImplementedError("the curation index is append-only")

    def size(self) -> int:
        return self.count

    def itemcounts(self, **kwargs: Any) -> dict[int, int]:
        return {}

    def has_key(self, key: object) -> bool:
        return isinstance(key, int) and 0 <= key < self.count


def compact_lsh(config: MinHashConfig) -> MinHashLSH:
    lsh = MinHashLSH(threshold=config.threshold, num_perm=config.num_perm, hashfunc=band_digest)
    lsh.hashtables = [_Buckets() for _ in range(lsh.b)]
    lsh.keys = _SequentialKeys()
    return lsh


@dataclass(frozen=True)
class NearDuplicate:
    partner_id: str
    jaccard: float


class Signer:
    """Text -> MinHash signature (uint32[num_perm]) and its LSH band keys; the permutations
    and the band layout are made once."""

    def __init__(self, config: MinHashConfig, band_ranges: list[tuple[int, int]] | None = None):
        self.config = config
        self.permutations = MinHash(num_perm=config.num_perm, seed=config.seed, scheme=SCHEME).permutations
        self._band_ranges = band_ranges

    @property
    def band_ranges(self) -> list[tuple[int, int]]:
        """`MinHashLSH`'s bands for this config; worked out (about 10 ms) only by a signer
        that makes band keys and was not handed them by an LSH it signs for."""
        if self._band_ranges is None:
            self._band_ranges = compact_lsh(self.config).hashranges
        return self._band_ranges

    def minhash(self, values: np.ndarray | None = None) -> MinHash:
        return MinHash(
            num_perm=self.config.num_perm,
            seed=self.config.seed,
            hashvalues=values,
            permutations=self.permutations,
            scheme=SCHEME,
            hashfunc=zlib.crc32,
        )

    def signature(self, text: str) -> np.ndarray:
        """The hash values datasketch's `MinHash.update_batch` gives these shingles (uint32 in
        the 32-bit scheme), worked out here without a MinHash object: each one parses its
        permutations again, which cost as much as the arithmetic on a short text."""
        hashes = np.fromiter(map(zlib.crc32, _shingle_list(text, self.config)), dtype=np.uint32)
        if not len(hashes):
            return np.full(self.config.num_perm, _EMPTY, dtype=np.uint32)
        multipliers, offsets = self.permutations
        permuted: np.ndarray = np.multiply.outer(_fmix32(hashes), multipliers)
        permuted += offsets  # wraps modulo 2**32, as the affine scheme does
        values: np.ndarray = permuted.min(axis=0)
        return values

    def bands(self, signature: np.ndarray) -> Bands:
        """The LSH bucket keys datasketch's `MinHashLSH` files a MinHash under: each band of
        its (uint32) hash values, byte-swapped, through `band_digest`. Computed where the
        signature is, so the process that decides only looks them up."""
        swapped = np.asarray(signature, dtype=np.uint32).byteswap().tobytes()
        return tuple(band_digest(swapped[4 * start : 4 * end]) for start, end in self.band_ranges)


Bands = tuple[bytes, ...]


class SignatureStore:
    """Signatures by slot, in blocks of rows."""

    def __init__(self, num_perm: int):
        self.num_perm = num_perm
        self._blocks: list[np.ndarray] = []
        self.count = 0

    def append(self, signature: np.ndarray) -> int:
        row = self.count % _CHUNK
        if row == 0:
            self._blocks.append(np.empty((_CHUNK, self.num_perm), dtype=np.uint32))
        self._blocks[-1][row] = signature
        self.count += 1
        return self.count - 1

    def __getitem__(self, slot: int) -> np.ndarray:
        row: np.ndarray = self._blocks[slot // _CHUNK][slot % _CHUNK]
        return row


SignatureLookup = Callable[[list[str]], Iterable["np.ndarray | None"]]


def jaccard_estimate(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.count_nonzero(a == b)) / len(a)


class NearDupIndex:
    """Records kept so far (and earlier builds); `remote` is an optional read-only LSH of
    earlier builds that lives elsewhere (Redis), with a lookup for its signatures."""

    def __init__(self, config: MinHashConfig, remote: RemoteLSH | None = None):
        self.config = config
        self.lsh = compact_lsh(config)
        self.signer = Signer(config, band_ranges=self.lsh.hashranges)
        self.ids: list[str] = []
        self.signatures = SignatureStore(config.num_perm)
        self.remote = remote

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, doc_id: str, signature: np.ndarray, bands: Bands | None = None) -> None:
        """What `MinHashLSH.insert` does, from band keys made beforehand (`Signer.bands`)."""
        slot = self.signatures.append(signature)
        self.ids.append(doc_id)
        for key, table in zip(bands or self.signer.bands(signature), self.lsh.hashtables, strict=True):
            table.insert(key, slot)
        self.lsh.keys.insert(slot)

    def candidates(self, signature: np.ndarray, bands: Bands | None = None) -> set[int]:
        """The slots `MinHashLSH.query` proposes, gathered the same way (so in the same order)."""
        found: set[int] = set()
        for key, table in zip(bands or self.signer.bands(signature), self.lsh.hashtables, strict=True):
            found.update(table.get(key))
        return found

    def find(self, signature: np.ndarray, bands: Bands | None = None) -> NearDuplicate | None:
        """The most similar indexed record whose estimated Jaccard reaches the threshold."""
        best: NearDuplicate | None = None
        for slot in self.candidates(signature, bands):
            score = jaccard_estimate(signature, self.signatures[slot])
            if score >= self.config.threshold and (best is None or score > best.jaccard):
                best = NearDuplicate(self.ids[slot], score)
        if best is None and self.remote is not None:
            best = self.remote.find(self.signer.minhash(signature), self.config.threshold)
        return best


class RemoteLSH:
    """Earlier builds in a shared LSH (datasketch's Redis storage, keys = record ids) with
    their signatures alongside, so candidates are verified like local ones."""

    def __init__(self, lsh: MinHashLSH, signatures_of: SignatureLookup):
        self.lsh = lsh
        self.signatures_of = signatures_of

    def find(self, sketch: MinHash, threshold: float) -> NearDuplicate | None:
        keys = self.lsh.query(sketch)
        best: NearDuplicate | None = None
        for key, signature in zip(keys, self.signatures_of(keys), strict=True):
            if signature is None:
                continue
            score = jaccard_estimate(sketch.hashvalues, signature)
            if score >= threshold and (best is None or score > best.jaccard):
                best = NearDuplicate(key, score)
        return best

    def insert_many(self, entries: Iterable[tuple[str, np.ndarray | None]], signer: Signer) -> None:
        with self.lsh.insertion_session() as session:
            for doc_id, signature in entries:
                session.insert(doc_id, signer.minhash(signature), check_duplication=False)
