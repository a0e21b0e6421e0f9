from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app

SEEDS = Path(__file__).resolve().parents[2] / "seeds" / "kb"
runner = CliRunner()


def test_ingest_prints_counts_and_reingest_is_a_no_op(data_dir: Path) -> None:
    args = [
        "ingest",
        str(SEEDS / "medical_conditions.csv"),
        str(SEEDS / "product_support.md"),
        "--kb",
        "demo",
    ]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "55 new, 0 changed, 0 unchanged, 0 removed" in first.output
    assert "kb demo: 77 new" in first.output
    second = runner.invoke(app, args)
    assert second.exit_code == 0
    assert "kb demo: 0 new, 0 changed, 77 unchanged, 0 removed" in second.output
    assert (data_dir / "kb" / "demo.sqlite3").is_file()


def test_mapping_file_override(data_dir: Path, tmp_path: Path) -> None:
    kb = tmp_path / "kb.csv"
    kb.write_text("label|rx\nGout|colchicine\n", encoding="utf-8")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("name: label\ndelimiter: '|'\nroles:\n  medications: rx\n", encoding="utf-8")
    result = runner.invoke(app, ["ingest", str(kb), "--kb", "m", "--mapping", str(mapping)])
    assert result.exit_code == 0, result.output
    assert "1 new" in result.output


def test_bad_mapping_file_names_its_line(data_dir: Path, tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("name: label\nchunk_tokens: lots\n", encoding="utf-8")
    result = runner.invoke(
        app, ["ingest", str(SEEDS / "medical_conditions.csv"), "--kb", "m", "--mapping", str(mapping)]
    )
    assert result.exit_code == 2
    assert f"{mapping}:2: chunk_tokens" in result.output


def test_bad_file_exits_2_and_changes_nothing(data_dir: Path, tmp_path: Path) -> None:
    assert (
        runner.invoke(app, ["ingest", str(SEEDS / "medical_conditions.csv"), "--kb", "demo"]).exit_code == 0
    )
    store = data_dir / "kb" / "demo.sqlite3"
    before = store.read_bytes()
    binary = tmp_path / "kb.csv"
    binary.write_bytes(b"\x00\x01\x02")
    result = runner.invoke(app, ["ingest", str(binary), "--kb", "demo"])
    assert result.exit_code == 2 and f"{binary}:1: binary file" in result.output
    assert store.read_bytes() == before


def test_a_bad_first_ingest_creates_no_store(data_dir: Path, tmp_path: Path) -> None:
    """An empty store left by a failed ingest made `generate dialogues --kb` say 'no active
    entries' instead of 'no knowledge base named …'."""
    result = runner.invoke(app, ["ingest", str(tmp_path / "missing.csv"), "--kb", "fresh"])
    assert result.exit_code == 2
    assert not (data_dir / "kb" / "fresh.sqlite3").exists()


def test_a_store_that_cannot_be_written_is_one_line_and_exit_2(data_dir: Path, tmp_path: Path) -> None:
    (data_dir / "kb").mkdir(parents=True, exist_ok=True)
    (data_dir / "kb" / "blocked.sqlite3").mkdir()  # a folder where the store's file would be
    result = runner.invoke(app, ["ingest", str(SEEDS / "medical_conditions.csv"), "--kb", "blocked"])
    assert result.exit_code == 2, result.output
    assert "cannot write the knowledge-base store" in result.output and "Traceback" not in result.output


def test_a_folder_skips_hidden_files_and_a_file_gone_from_it_is_removed(
    data_dir: Path, tmp_path: Path
) -> None:
    import shutil

    folder = tmp_path / "kb"
    (folder / ".git").mkdir(parents=True)
    shutil.copy(SEEDS / "medical_conditions.csv", folder)
    shutil.copy(SEEDS / "product_support.md", folder)
    (folder / ".git" / "config.txt").write_text("[core]\n")  # a repository's own files
    (folder / ".draft.csv").write_text("")  # an editor's hidden file, empty
    first = runner.invoke(app, ["ingest", str(folder), "--kb", "docs"])
    assert first.exit_code == 0, first.output
    assert "kb docs: 77 new" in first.output and "config.txt" not in first.output
    (folder / "product_support.md").unlink()
    second = runner.invoke(app, ["ingest", str(folder), "--kb", "docs"])
    assert second.exit_code == 0, second.output
    assert "kb docs: 0 new, 0 changed, 55 unchanged, 22 removed" in second.output


def test_a_name_that_is_no_text_exits_2_and_changes_nothing(data_dir: Path, tmp_path: Path) -> None:
    """A JSON object as a name was stored as its JSON text."""
    good = runner.invoke(app, ["ingest", str(SEEDS / "medical_conditions.csv"), "--kb", "demo"])
    assert good.exit_code == 0, good.output
    store = data_dir / "kb" / "demo.sqlite3"
    before = store.read_bytes()
    bad = tmp_path / "kb.json"
    bad.write_text(
        '[\n {"name": "Gout", "x": "y"},\n {"name": {"en": "Flu"}, "x": "y"}\n]\n', encoding="utf-8"
    )
    result = runner.invoke(app, ["ingest", str(bad), "--kb", "demo"])
    assert result.exit_code == 2, result.output
    assert f"{bad}:3: entry 2: the name field 'name' must be text, got an object" in result.output
    assert store.read_bytes() == before


def test_a_failed_ingest_in_an_empty_folder_leaves_no_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default data folder (./data) was created by any command that asked where it is."""
    monkeypatch.delenv("SEEDFORGE_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.json").write_text('[{"name": ["a", "b"], "x": "y"}]', encoding="utf-8")
    for bad in ("missing.csv", "bad.json"):
        result = runner.invoke(app, ["ingest", bad, "--kb", "demo"])
        assert result.exit_code == 2, result.output
        assert not (tmp_path / "data").exists()
    result = runner.invoke(app, ["ingest", str(SEEDS / "medical_conditions.csv"), "--kb", "demo"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "data" / "kb" / "demo.sqlite3").is_file()
