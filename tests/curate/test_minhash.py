import random
import zlib

import numpy as np
from datasketch import MinHash, MinHashLSH

from pipeline.curate.config import MinHashConfig
from pipeline.curate.minhash import NearDupIndex, Signer, band_digest, compact_lsh, shingles

CONFIG = MinHashConfig()


def test_word_shingles_for_spaced_text_and_character_shingles_for_cjk() -> None:
    assert shingles("The quick brown fox jumps", CONFIG) == {
        b"the\x1fquick\x1fbrown",
        b"quick\x1fbrown\x1ffox",
        b"brown\x1ffox\x1fjumps",
    }
    assert shingles("今天天气很好", CONFIG) == {
        "今\x1f天\x1f天".encode(),
        "天\x1f天\x1f气".encode(),
        "天\x1f气\x1f很".encode(),
        "气\x1f很\x1f好".encode(),
    }
    assert shingles("Hi there", CONFIG) == {b"hi\x1fthere"}
    assert shingles("", CONFIG) == set()


def index_with(*texts: str) -> NearDupIndex:
    index = NearDupIndex(CONFIG)
    for n, text in enumerate(texts):
        index.add(f"r{n}", index.signer.signature(text))
    return index


LONG_EN = (
    "The tide rises and falls twice each day because the moon pulls on the oceans, and the "
    "sun adds a smaller pull that makes spring tides and neap tides across the month."
)
LONG_ZH = (
    "潮汐是由月球和太阳的引力共同作用引起的海水周期性涨落现象，"
    "每天通常有两次涨潮和两次落潮，一个月中还有大潮和小潮之分。"
)


def test_near_duplicates_are_found_with_partner_and_score() -> None:
    index = index_with(LONG_EN, LONG_ZH)
    # one word / character more: shingle Jaccard about 0.95, which LSH finds with ~99.8 % chance
    near = index.find(index.signer.signature(LONG_EN + " Indeed"))
    assert near is not None and near.partner_id == "r0" and 0.8 <= near.jaccard < 1.0
    near = index.find(index.signer.signature(LONG_ZH + "啊"))
    assert near is not None and near.partner_id == "r1" and near.jaccard >= 0.8


def test_unrelated_and_mixed_language_texts_are_not_near_duplicates() -> None:
    index = index_with(LONG_EN, LONG_ZH)
    other = "Volcanoes erupt when magma rises through cracks in the crust and pressure builds up."
    assert index.find(index.signer.signature(other)) is None
    mixed = "Translate into English: " + LONG_ZH[:20]
    assert index.find(index.signer.signature(mixed)) is None


def _near_texts(seed: int, words: int, length: int, repeated: int, tail: str) -> list[str]:
    """200 random texts, then the first `repeated` again with `tail` added: near-duplicates."""
    rng = random.Random(seed)
    vocabulary = [f"w{i}" for i in range(words)]
    texts = [" ".join(rng.choices(vocabulary, k=length)) for _ in range(200)]
    return texts + [text + tail for text in texts[:repeated]]


def _plain_lsh() -> MinHashLSH:
    """datasketch's own MinHashLSH with its own storage, for comparison."""
    return MinHashLSH(threshold=CONFIG.threshold, num_perm=CONFIG.num_perm, hashfunc=band_digest)


def test_compact_storage_proposes_exactly_what_datasketch_storage_does() -> None:
    signer = Signer(CONFIG)
    compact, plain = compact_lsh(CONFIG), _plain_lsh()
    texts = _near_texts(3, 60, 12, 50, " extra")
    for slot, text in enumerate(texts):
        sketch = signer.minhash(signer.signature(text))
        assert sorted(compact.query(sketch)) == sorted(plain.query(sketch))
        compact.insert(slot, sketch, check_duplication=False)
        plain.insert(slot, sketch)
    assert slot in compact and len(compact.keys) == len(texts)


def test_band_keys_made_beforehand_propose_what_datasketch_proposes() -> None:
    """The worker's `Signer.bands` are the keys `MinHashLSH` files a MinHash under, so the
    index fed with them proposes exactly what datasketch's own insert and query would."""
    signer, index, plain = Signer(CONFIG), NearDupIndex(CONFIG), _plain_lsh()
    texts = _near_texts(5, 50, 10, 60, " more")
    for slot, text in enumerate(texts):
        signature = signer.signature(text)
        sketch = signer.minhash(signature)
        bands = signer.bands(signature)
        assert list(bands) == [plain._H(sketch.hashvalues[start:end]) for start, end in plain.hashranges]
        assert sorted(index.candidates(signature, bands)) == sorted(plain.query(sketch))
        index.add(f"r{slot}", signature, bands)
        plain.insert(slot, sketch)
    assert len(index) == len(texts) == len(index.lsh.keys)
    assert index.signer.band_ranges == plain.hashranges  # handed over, not worked out again
    assert sum(1 for text in texts[200:] if index.find(signer.signature(text)) is not None) > 0


def test_a_signature_is_what_datasketch_minhash_gives_for_the_same_shingles() -> None:
    """`Signer.signature` does datasketch's arithmetic itself: the values must be the ones its
    `MinHash.update_batch` gives, or persistent indexes of earlier builds would stop matching.
    English, Chinese, one shingle, none at all, and both n-gram sizes."""
    texts = [*_near_texts(7, 40, 15, 20, " again"), LONG_EN, LONG_ZH, "one", "two words", "", "  ?! "]
    for config in (CONFIG, CONFIG.model_copy(update={"word_ngram": 1, "num_perm": 64, "seed": 9})):
        signer = Signer(config)
        for text in texts:
            expected = MinHash(
                num_perm=config.num_perm, seed=config.seed, scheme="affine32", hashfunc=zlib.crc32
            )
            expected.update_batch(shingles(text, config))
            signature = signer.signature(text)
            assert signature.dtype == np.uint32
            assert signature.tolist() == expected.hashvalues.tolist(), text
