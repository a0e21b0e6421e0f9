import json
from pathlib import Path

import pytest

from pipeline.dataset.versions import load_version, split_heldout, write_version
from pipeline.errors import SeedforgeError
from pipeline.records import AlpacaRecord, Lineage, RejectedRecord


def records(n: int) -> list[AlpacaRecord]:
    return [
        AlpacaRecord(instruction=f"Task number {i}", output=f"Answer {i}", lineage=Lineage(generator="test"))
        for i in range(n)
    ]


def test_split_is_deterministic_and_disjoint() -> None:
    items = records(20)
    train, heldout = split_heldout(items, 0.2, 2)
    again_train, again_heldout = split_heldout(list(reversed(items)), 0.2, 2)
    assert len(heldout) == 4 and {r.id for r in heldout} == {r.id for r in again_heldout}
    assert not {r.id for r in train} & {r.id for r in heldout}
    with pytest.raises(SeedforgeError):
        split_heldout(items[:1], 0.2, 1)


def test_version_is_written_whole_with_manifest(tmp_path: Path) -> None:
    train, heldout = split_heldout(records(10), 0.2, 2)
    rejected = [RejectedRecord(record={"instruction": "x"}, step="filters", reason="too_short")]
    first = write_version("demo", train, heldout, rejected, config={"k": 1}, stats={}, root=tmp_path)
    second = write_version("demo", train, heldout, [], config={"k": 1}, stats={}, root=tmp_path)
    assert (first.version, second.version) == (1, 2)
    manifest = first.manifest
    assert manifest["counts"]["rejected_by_reason"] == {"too_short": 1}
    assert manifest["files"]["train.jsonl"]["records"] == len(train)
    alpaca = json.loads((first.path / "alpaca.json").read_text())
    assert set(alpaca[0]) == {"instruction", "input", "output"}
    assert not list((tmp_path / "demo").glob(".staging-*"))
    _, back_train, back_heldout = load_version(first.path)
    assert [r.id for r in back_train] == [r.id for r in train]


def test_tampered_version_is_refused(tmp_path: Path) -> None:
    train, heldout = split_heldout(records(6), 0.2, 1)
    version = write_version("demo", train, heldout, [], config={}, stats={}, root=tmp_path)
    with (version.path / "train.jsonl").open("a") as handle:
        handle.write("\n")
    with pytest.raises(SeedforgeError, match="checksum"):
        load_version(version.path)


def test_failed_write_leaves_nothing(tmp_path: Path) -> None:
    class Boom(AlpacaRecord):
        def model_dump(self, **kw):  # type: ignore[override]
            raise RuntimeError("disk full")

    bad = Boom(instruction="a b c d", output="x", lineage=Lineage(generator="t"))
    with pytest.raises(RuntimeError):
        write_version("demo", [bad], [], [], config={}, stats={}, root=tmp_path)
    assert list((tmp_path / "demo").iterdir()) == []


def test_same_content_reuses_the_latest_version(tmp_path: Path) -> None:
    train, heldout = split_heldout(records(8), 0.25, 2)
    first = write_version("demo", train, heldout, [], config={}, stats={}, root=tmp_path)
    rebuilt = [
        r.model_copy(update={"lineage": Lineage(generator="test", build="another-run")}) for r in train
    ]
    again = write_version("demo", rebuilt, heldout, [], config={}, stats={}, root=tmp_path)
    assert again.path == first.path and again.version == 1
    changed = write_version("demo", train[1:], heldout, [], config={}, stats={}, root=tmp_path)
    assert changed.version == 2


@pytest.mark.parametrize(
    "manifest",
    ["[1]", '{"dataset": "d", "version": 1, "files": {"train.jsonl": 5}}', '{"files": []}', '"text"'],
)
def test_a_manifest_of_another_shape_says_what_was_expected(tmp_path: Path, manifest: str) -> None:
    (tmp_path / "manifest.json").write_text(manifest, encoding="utf-8")
    with pytest.raises(SeedforgeError, match='expected an object with "files"') as caught:
        load_version(tmp_path)
    assert "subscriptable" not in str(caught.value) and "indices" not in str(caught.value)
