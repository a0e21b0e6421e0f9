import codecs
from pathlib import Path

import pytest

from pipeline.errors import SeedforgeError
from pipeline.kb.textio import read_kb_text

TEXT = "condition,symptoms\n流行性感冒,发热、干咳\n"


@pytest.mark.parametrize(
    "encoding,expected",
    [
        ("utf-8", "utf-8"),
        ("gbk", "gb18030"),
        ("gb18030", "gb18030"),
    ],
)
def test_encodings_are_detected(tmp_path: Path, encoding: str, expected: str) -> None:
    path = tmp_path / "kb.csv"
    path.write_bytes(TEXT.encode(encoding))
    decoded = read_kb_text(path)
    assert decoded.text == TEXT and decoded.encoding == expected


def test_utf8_bom_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "kb.csv"
    path.write_bytes(codecs.BOM_UTF8 + TEXT.encode("utf-8"))
    decoded = read_kb_text(path)
    assert decoded.text == TEXT and decoded.encoding == "utf-8-sig"


def test_sample_gb18030_file_decodes() -> None:
    path = Path(__file__).resolve().parents[2] / "seeds/kb/medical_conditions_zh.csv"
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    assert "流行性感冒" in read_kb_text(path).text


def test_binary_file_is_rejected_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "kb.csv"
    path.write_bytes(b"a,b\nc,d\n\x89PNG\x00\x00\x01")
    with pytest.raises(SeedforgeError, match=r"kb\.csv:3: binary file"):
        read_kb_text(path)


def test_latin1_is_undecodable_and_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "kb.csv"
    path.write_bytes("name,notes\ncafé,crème brûlée\n".encode("latin-1"))
    with pytest.raises(SeedforgeError, match=r"kb\.csv:2: cannot decode"):
        read_kb_text(path)


def test_explicit_encoding_wins(tmp_path: Path) -> None:
    path = tmp_path / "kb.csv"
    path.write_bytes("name,notes\ncafé,crème\n".encode("latin-1"))
    assert "café" in read_kb_text(path, "latin-1").text
    with pytest.raises(SeedforgeError, match="unknown encoding"):
        read_kb_text(path, "no-such-codec")


@pytest.mark.parametrize("content", [b"", b"  \n\n"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "kb.csv"
    path.write_bytes(content)
    with pytest.raises(SeedforgeError, match="empty file"):
        read_kb_text(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SeedforgeError, match="file not found"):
        read_kb_text(tmp_path / "nope.csv")
