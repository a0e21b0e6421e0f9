from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.corpus.store import corpora_root, load_manifest
from tests.corpus.corpus_docs import write_docs

runner = CliRunner()


def _build(docs: Path, model: Path, *extra: str) -> object:
    return runner.invoke(
        app, ["corpus", "build", str(docs), "--name", "field", "--base-model", str(model), *extra]
    )


def test_build_then_show(data_dir: Path, tiny_llama_dir: Path, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    write_docs(docs, 12)
    result = _build(docs, tiny_llama_dir, "--block-size", "48")
    assert result.exit_code == 0, result.output
    version = corpora_root() / "field" / "v1"
    assert f"corpus field v1: {version}" in result.output
    assert "read" in result.output and "kept" in result.output
    manifest = load_manifest(version)
    assert manifest.block_size == 48 and manifest.counts["kept"] == 12
    shown = runner.invoke(app, ["corpus", "show", "field@v1"])
    assert shown.exit_code == 0, shown.output
    assert "corpus field v1" in shown.output and "12 files" in shown.output
    assert f"{manifest.splits['train'].blocks:,} blocks" in shown.output


def test_bad_config_line_exits_2_and_publishes_nothing(
    data_dir: Path, tiny_llama_dir: Path, tmp_path: Path
) -> None:
    docs = tmp_path / "docs"
    write_docs(docs, 3)
    config = tmp_path / "corpus.yaml"
    config.write_text("block_size: 64\ndedup:\n  threshold: 2.5\n", encoding="utf-8")
    result = _build(docs, tiny_llama_dir, "--config", str(config))
    assert result.exit_code == 2
    assert f"{config}:3" in result.output and "dedup.threshold" in result.output
    misspelt = tmp_path / "typo.yaml"
    misspelt.write_text("block_size: 64\nheldout_fractoin: 0.1\n", encoding="utf-8")
    result = _build(docs, tiny_llama_dir, "--config", str(misspelt))
    assert result.exit_code == 2 and f"{misspelt}:2" in result.output
    assert not (corpora_root() / "field").exists()


def test_empty_dir_and_unknown_corpus_exit_2(data_dir: Path, tiny_llama_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = _build(tmp_path / "empty", tiny_llama_dir)
    assert result.exit_code == 2 and "no documents found in" in result.output
    assert not (corpora_root() / "field").exists()  # no empty corpus folder left behind
    shown = runner.invoke(app, ["corpus", "show", "nothing"])
    assert shown.exit_code == 2 and "no corpus named 'nothing'" in shown.output


def test_a_failed_build_leaves_no_data_folder(data_dir: Path, tiny_llama_dir: Path, tmp_path: Path) -> None:
    """The data folder and corpora/ were left behind, empty, by a build that published nothing;
    a path that is not there is named before the base model is prepared."""
    (tmp_path / "empty").mkdir()
    assert _build(tmp_path / "empty", tiny_llama_dir).exit_code == 2
    missing = runner.invoke(app, ["corpus", "build", str(tmp_path / "missing"), "--name", "field"])
    assert missing.exit_code == 2 and f"{tmp_path / 'missing'}: no such file or directory" in missing.output
    (tmp_path / "notes.docx").write_bytes(b"PK")  # no base model given: the embedded one, converted
    unknown = runner.invoke(app, ["corpus", "build", str(tmp_path / "notes.docx"), "--name", "field"])
    assert unknown.exit_code == 2 and "unknown document type '.docx'" in unknown.output
    assert not data_dir.exists()  # told before the conversion wrote data/models


def test_a_shipped_sample_corpus_is_found_from_any_folder(
    data_dir: Path, tiny_llama_dir: Path, tmp_path: Path, monkeypatch
) -> None:
    """docs/domain-adaptation.md starts with `corpus build seeds/corpora/medical_zh`: that path
    must work outside a checkout too (the copy shipped with seedforge)."""
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(
        app,
        ["corpus", "build", "seeds/corpora/medical_zh", "--name", "med", "--base-model", str(tiny_llama_dir)],
    )
    assert result.exit_code == 0, result.output
    assert load_manifest(corpora_root() / "med" / "v1").counts["kept"] > 10


def test_a_build_of_unchanged_files_adds_no_version_unless_asked(
    data_dir: Path, tiny_llama_dir: Path, tmp_path: Path
) -> None:
    docs = tmp_path / "docs"
    write_docs(docs, 6)
    field = corpora_root() / "field"

    def build(block_size: str, *extra: str) -> str:
        result = _build(docs, tiny_llama_dir, "--block-size", block_size, *extra)
        assert result.exit_code == 0, result.output
        return str(result.output)

    build("48")
    again = build("48")
    assert "corpus field v1: unchanged" in again and "--rebuild" in again
    assert not (field / "v2").exists()
    build("32")
    assert (field / "v2").is_dir()
    build("48")  # v1's files and settings, but v2 is the latest: a new version
    assert (field / "v3").is_dir()
    assert "corpus field v3: unchanged" in build("48")
    (docs / "doc0000.txt").write_text("A changed document about the same field. " * 20, encoding="utf-8")
    build("48")
    assert (field / "v4").is_dir()
    build("48", "--rebuild")
    assert (field / "v5").is_dir() and not (field / "v6").exists()
