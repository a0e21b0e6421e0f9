from pathlib import Path

import pytest

from pipeline.curate.config import CurateConfig
from pipeline.curate.curator import Curator, index_fingerprint
from pipeline.curate.index import DiskIndex
from pipeline.errors import SeedforgeError
from tests.curate.conftest import alpaca
from tests.support.redis_server import free_port, redis_server

FIRST = [
    alpaca("Explain how a bicycle gear works on steep hills."),
    alpaca("Write a short poem about the sea."),
    alpaca(
        "请解释光合作用的基本原理和意义。",
        output="光合作用是植物利用光能把二氧化碳和水转化为有机物的过程。",
        language="zh",
    ),
]
SECOND = [
    alpaca("Explain how a bicycle gear works on steep hills."),  # exact, earlier build
    alpaca("Write a long and sad poem about the sea tonight."),  # ROUGE-L, earlier build
    alpaca("请详细解释光合作用的基本原理和意义。", output="光合作用把光能变成化学能。", language="zh"),
    alpaca("Name three rivers that flow through Europe."),
]


def build(index, records, name: str) -> Curator:
    curator = Curator(CurateConfig(), index=index)
    curator.consider(records)
    index.commit(name)
    return curator


def reasons(curator: Curator) -> dict[str, int]:
    return dict(curator.counts)


def test_a_new_build_is_deduplicated_against_earlier_ones_on_disk(tmp_path: Path) -> None:
    config = CurateConfig()
    first = build(DiskIndex(tmp_path / "idx", index_fingerprint(config)), FIRST, "v1")
    assert first.counts["kept"] == 3
    reopened = DiskIndex(tmp_path / "idx", index_fingerprint(config))
    assert [b["name"] for b in reopened.builds()] == ["v1"]
    curator = Curator(config, index=reopened)
    batch = curator.consider(SECOND)
    assert [r.reason for r in batch.rejected] == ["exact_duplicate", "rouge_novelty", "rouge_novelty"]
    assert batch.rejected[0].evidence["partner_id"] == FIRST[0].id
    assert batch.rejected[1].evidence["partner_id"] == FIRST[1].id
    assert batch.rejected[1].evidence["partner_text"] == FIRST[1].instruction
    assert [r.id for r in batch.kept] == [SECOND[3].id]
    assert curator.report.as_dict()["references"] == {"earlier_builds": 3}
    reopened.commit("v2")
    third = DiskIndex(tmp_path / "idx", index_fingerprint(config))
    assert [(b["name"], b["entries"]) for b in third.builds()] == [("v1", 3), ("v2", 1)]
    assert len(list(third.entries())) == 4


def test_near_duplicates_by_minhash_across_builds(tmp_path: Path) -> None:
    config = CurateConfig(steps=["minhash"])
    long_answer = " ".join(f"word{i}" for i in range(60))
    build(
        DiskIndex(tmp_path, index_fingerprint(config)),
        [alpaca("Describe the pattern in these words.", output=long_answer)],
        "v1",
    )
    curator = Curator(config, index=DiskIndex(tmp_path, index_fingerprint(config)))
    rejected = curator.consider_one(
        alpaca("Describe the pattern in these words!", output=long_answer + " word60")
    )
    assert rejected.reason == "near_duplicate" and rejected.evidence["jaccard"] >= 0.8


def test_a_failed_build_leaves_the_index_as_it_was(tmp_path: Path) -> None:
    config = CurateConfig()
    build(DiskIndex(tmp_path, index_fingerprint(config)), FIRST[:1], "v1")
    index = DiskIndex(tmp_path, index_fingerprint(config))
    Curator(config, index=index).consider(FIRST[1:])
    index.abort()  # what curate_file does when anything fails
    reopened = DiskIndex(tmp_path, index_fingerprint(config))
    assert [b["name"] for b in reopened.builds()] == ["v1"] and len(list(reopened.entries())) == 1
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".staging")]


def test_an_index_refuses_other_settings(tmp_path: Path) -> None:
    DiskIndex(tmp_path, index_fingerprint(CurateConfig()))
    with pytest.raises(SeedforgeError, match="compare: index has 'prompt', this run uses 'instruction'"):
        DiskIndex(tmp_path, index_fingerprint(CurateConfig(compare="instruction")))


def test_a_corrupt_manifest_is_named(tmp_path: Path) -> None:
    (tmp_path / "index.json").write_text("{\n  oops", encoding="utf-8")
    with pytest.raises(SeedforgeError, match=r"index.json:2"):
        DiskIndex(tmp_path, index_fingerprint(CurateConfig()))


@pytest.fixture
def redis_url(tmp_path: Path):
    """A real redis-server (the Debian package) on 127.0.0.1, stopped afterwards."""
    with redis_server(tmp_path / "redis") as server:
        yield server.url()


def test_the_index_on_redis_with_datasketch_redis_storage(redis_url: str) -> None:
    from pipeline.curate.files import open_index

    config = CurateConfig()
    long_answer = " ".join(f"word{i}" for i in range(60))
    first = FIRST + [alpaca("Describe the pattern in these words.", output=long_answer)]
    build(open_index(redis_url, config), first, "v1")

    index = open_index(redis_url, config)  # as another machine would
    assert [b["name"] for b in index.builds()] == ["v1"]
    assert index.remote().lsh.hashtables[0].__class__.__name__.startswith("Redis")
    curator = Curator(config, index=index)
    batch = curator.consider(
        SECOND + [alpaca("Describe the pattern in these words!", output=long_answer + " word60")]
    )
    assert [r.reason for r in batch.rejected] == [
        "exact_duplicate",
        "rouge_novelty",
        "rouge_novelty",
        "near_duplicate",
    ]
    assert batch.rejected[3].evidence["partner_id"] == first[3].id
    index.commit("v2")
    again = open_index(redis_url, config)
    assert [(b["name"], b["entries"]) for b in again.builds()] == [("v1", 4), ("v2", 1)]
    with pytest.raises(SeedforgeError, match="num_perm"):
        open_index(redis_url, CurateConfig.model_validate({"minhash": {"num_perm": 64}}))


def test_an_unreachable_redis_is_named() -> None:
    from pipeline.curate.files import open_index

    port = free_port()
    with pytest.raises(SeedforgeError, match=f"redis://127.0.0.1:{port}/0: cannot use"):
        open_index(f"redis://127.0.0.1:{port}/0", CurateConfig())
