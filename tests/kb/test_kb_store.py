import sqlite3
from pathlib import Path

import pytest

from pipeline.errors import SeedforgeError
from pipeline.kb.ingest import ingest
from pipeline.kb.store import KBStore

SEEDS = Path(__file__).resolve().parents[2] / "seeds" / "kb"
CSV = (
    "condition,tests,medications\nGout,uric acid,colchicine\n"
    "Flu,swab,oseltamivir\nAsthma,spirometry,salbutamol\n"
)


def dump(store: KBStore) -> list[tuple]:
    return store._conn.execute("SELECT * FROM entries ORDER BY seq").fetchall()


@pytest.fixture
def store(tmp_path: Path) -> KBStore:
    with KBStore.open(tmp_path / "data", "test") as opened:
        yield opened


def test_sample_kbs_ingest_and_reingest_as_no_ops(store: KBStore) -> None:
    paths = [
        SEEDS / "medical_conditions.csv",
        SEEDS / "medical_conditions_zh.csv",
        SEEDS / "product_support.md",
    ]
    first = ingest(store, "test", paths)
    assert first.totals() == {"new": 89, "changed": 0, "unchanged": 0, "removed": 0}
    before = dump(store)
    second = ingest(store, "test", paths)
    assert second.totals() == {"new": 0, "changed": 0, "unchanged": 89, "removed": 0}
    assert not second.changed_anything and dump(store) == before


def test_changed_rows_become_versions_and_removed_rows_are_marked(store: KBStore, tmp_path: Path) -> None:
    path = tmp_path / "kb.csv"
    path.write_text(CSV, encoding="utf-8")
    ingest(store, "test", [path])
    old_gout = next(e for e in store.entries() if e.name == "Gout")
    edited = CSV.replace("uric acid,", "uric acid; joint fluid analysis,").replace(
        "Flu,swab,oseltamivir\n", ""
    )
    path.write_text(edited + "Psoriasis,skin biopsy,methotrexate\n", encoding="utf-8")
    report = ingest(store, "test", [path])
    assert report.totals() == {"new": 1, "changed": 1, "unchanged": 1, "removed": 1}
    gout = store.history(str(path.resolve()), "gout")
    assert [(e.version, e.status) for e in gout] == [(1, "superseded"), (2, "active")]
    assert gout[0].id == old_gout.id and gout[1].items("tests") == ["uric acid", "joint fluid analysis"]
    assert [e.status for e in store.history(str(path.resolve()), "flu")] == ["removed"]
    assert sorted(e.name for e in store.entries()) == ["Asthma", "Gout", "Psoriasis"]
    # a removed entry that comes back is a new version of it
    path.write_text(CSV, encoding="utf-8")
    back = ingest(store, "test", [path])
    assert back.totals() == {"new": 1, "changed": 1, "unchanged": 1, "removed": 1}
    assert [e.version for e in store.history(str(path.resolve()), "flu")] == [1, 2]


def test_moved_row_is_unchanged(store: KBStore, tmp_path: Path) -> None:
    path = tmp_path / "kb.csv"
    path.write_text(CSV, encoding="utf-8")
    ingest(store, "test", [path])
    lines = CSV.splitlines()
    path.write_text("\n".join([lines[0], lines[3], lines[1], lines[2]]) + "\n", encoding="utf-8")
    assert ingest(store, "test", [path]).totals()["unchanged"] == 3
    assert {e.name: e.row for e in store.entries()} == {"Asthma": 2, "Gout": 3, "Flu": 4}


def test_a_bad_file_leaves_the_store_unchanged(store: KBStore, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text(CSV, encoding="utf-8")
    ingest(store, "test", [good])
    before = dump(store)
    good.write_text(CSV.replace("Gout", "Gouty arthritis"), encoding="utf-8")  # would change a row
    bad = tmp_path / "bad.json"
    bad.write_text('[{"name": "x",', encoding="utf-8")
    with pytest.raises(SeedforgeError, match="bad.json:1: broken JSON"):
        ingest(store, "test", [good, bad])
    assert dump(store) == before


def test_failure_inside_the_transaction_rolls_back(store: KBStore, tmp_path: Path, monkeypatch) -> None:
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text(CSV, encoding="utf-8")
    second.write_text(CSV, encoding="utf-8")
    calls = []
    real_apply = KBStore.apply

    def failing_apply(self, conn, source, entries):
        calls.append(source)
        if len(calls) == 2:
            raise sqlite3.OperationalError("disk I/O error")
        return real_apply(self, conn, source, entries)

    monkeypatch.setattr(KBStore, "apply", failing_apply)
    with pytest.raises(SeedforgeError, match="cannot write the knowledge-base store .disk I/O error"):
        ingest(store, "test", [first, second])
    assert dump(store) == []


def test_directory_expands_to_kb_files_without_readme(store: KBStore) -> None:
    report = ingest(store, "test", [SEEDS])
    assert sorted(Path(s.source).name for s in report.sources) == [
        "medical_conditions.csv",
        "medical_conditions_zh.csv",
        "product_support.md",
    ]


def test_kb_names_are_checked(tmp_path: Path) -> None:
    with pytest.raises(SeedforgeError, match="knowledge-base name"):
        KBStore.open(tmp_path, "../escape")
    with pytest.raises(SeedforgeError, match="no knowledge base named 'nope'"):
        KBStore.open_existing(tmp_path, "nope")
