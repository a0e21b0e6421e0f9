import hashlib
from pathlib import Path

import pytest

from pipeline.corpus import samples
from pipeline.corpus.samples import shipped_corpus_dir, write_python_docs_corpus
from pipeline.errors import SeedforgeError


def _digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def python_docs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_python_docs_corpus(tmp_path_factory.mktemp("docs") / "python")


def test_python_docs_corpus_is_over_a_megabyte_of_readable_text(python_docs: Path) -> None:
    files = sorted(p for p in python_docs.rglob("*") if p.is_file())
    assert sum(p.stat().st_size for p in files) >= 1_200_000
    assert {p.suffix for p in files} == {".txt", ".md"}
    texts = [p.read_text(encoding="utf-8") for p in files]  # every file decodes
    assert all(text.strip() for text in texts)
    assert (python_docs / "topics" / "for.txt").is_file()  # the language reference's `for` topic
    assert 'The "for" statement' in (python_docs / "topics" / "for.txt").read_text()
    module = (python_docs / "modules" / "abc.md").read_text()
    assert module.startswith("# Module abc\n") and "## abc.abstractmethod\n\nA decorator" in module
    assert not list((python_docs / "modules").glob("_*.md"))  # private modules left out


def test_python_docs_corpus_is_deterministic(python_docs: Path, tmp_path: Path) -> None:
    again = write_python_docs_corpus(tmp_path / "again")
    assert _digest(again) == _digest(python_docs)


def test_python_docs_corpus_refuses_an_existing_folder_and_an_impossible_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(samples, "_stdlib_sources", list)  # the topics alone: no stdlib walk
    (tmp_path / "taken").mkdir()
    with pytest.raises(SeedforgeError, match="exists already"):
        write_python_docs_corpus(tmp_path / "taken")
    with pytest.raises(SeedforgeError, match="fewer than min_bytes"):
        write_python_docs_corpus(tmp_path / "huge", min_bytes=10**12)
    assert not (tmp_path / "huge").exists()  # nothing half-written


def test_shipped_corpora_are_found() -> None:
    medical = shipped_corpus_dir("medical_zh")
    assert medical.is_dir() and len(list(medical.iterdir())) >= 40
    assert shipped_corpus_dir("general_en.txt").stat().st_size > 8_000
    with pytest.raises(SeedforgeError, match="no shipped corpus 'nope'"):
        shipped_corpus_dir("nope")


def test_shipped_medical_corpus_holds_what_its_readme_says_was_planted() -> None:
    medical = shipped_corpus_dir("medical_zh")
    files = sorted(p for p in medical.iterdir() if p.is_file())
    assert sum(p.stat().st_size for p in files) >= 60_000
    assert {p.suffix for p in files} == {".txt", ".md", ".html", ".jsonl"}
    gb = (medical / "25_ganmao_liugan_gb18030.txt").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        gb.decode("utf-8")
    assert gb.decode("gb18030").startswith("普通感冒和流感")
    assert (medical / "26_tangniaobing_zu_bom.txt").read_bytes().startswith(b"\xef\xbb\xbf")
    original = (medical / "01_gaoxueya.txt").read_bytes()
    assert (medical / "60_gaoxueya_zhuanzai.txt").read_bytes() == original
    near, source = ((medical / f).read_text() for f in ("61_tongfeng_zhuanzai.txt", "06_tongfeng.txt"))
    assert near != source and len(near) == len(source)
    disclaimer = "免责声明：本文内容仅供健康科普参考"
    assert sum(disclaimer in p.read_bytes().decode("utf-8-sig", "replace") for p in files) >= 8
