"""The corpus readers: every format, encoding and error case, with real files written here."""

from __future__ import annotations

import codecs
import json
import logging
from pathlib import Path

import pytest

from pipeline.corpus.readers import ReadStats, document_id, iter_documents
from pipeline.errors import SeedforgeError

ZH = "土壤湿度传感器用于测量植物根系周围土壤的含水量，农民根据读数决定何时灌溉。"


def _pdf(path: Path, pages: list[str]) -> Path:
    """A minimal PDF by hand: one Helvetica text line per page (an empty string: no text)."""
    count = len(pages)
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids ["
        + " ".join(f"{4 + 2 * i} 0 R" for i in range(count))
        + f"] /Count {count} >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for i, text in enumerate(pages):
        stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET" if text else "0 0 m 100 100 l S"
        objects.append(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {5 + 2 * i} 0 R >>"
        )
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(out)
    return path


def _read(*paths: Path, **kwargs: object) -> list[tuple[str, str]]:
    return [(doc.source, doc.text) for doc in iter_documents(list(paths), **kwargs)]  # type: ignore[arg-type]


def test_plain_text_newlines_and_control_characters(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"First line\r\nSecond\x07 line\rThird\tcolumn\x7f\n")
    [(source, text)] = _read(path)
    assert source == str(path)
    assert text == "First line\nSecond line\nThird\tcolumn\n"


@pytest.mark.parametrize(
    ("encoded", "encoding"),
    [
        (codecs.BOM_UTF8 + ZH.encode("utf-8"), "utf-8-sig"),
        (ZH.encode("utf-16"), "utf-16"),  # with its BOM (little-endian here)
        (codecs.BOM_UTF16_BE + ZH.encode("utf-16-be"), "utf-16"),
        (ZH.encode("gb18030"), "gb18030"),
        (ZH.encode("utf-8"), "utf-8"),
    ],
)
def test_encodings(tmp_path: Path, encoded: bytes, encoding: str) -> None:
    path = tmp_path / "zh.text"
    path.write_bytes(encoded)
    stats = ReadStats()
    [(_, text)] = _read(path, stats=stats)
    assert text == ZH  # the BOM is gone
    assert dict(stats.encodings) == {encoding: 1}


def test_undecodable_file_names_the_encodings_tried(tmp_path: Path) -> None:
    path = tmp_path / "latin.txt"
    path.write_bytes(bytes(range(0x80, 0x100)) * 4)  # not UTF-8, and 0x80/0xFF never lead in GB18030
    with pytest.raises(SeedforgeError, match=r"latin\.txt: cannot decode .*tried utf-8, gb18030"):
        _read(path)


def test_gb18030_that_decodes_to_mojibake_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "odd.txt"
    path.write_bytes(b"\x81\x30\x81\x30" * 50)  # valid GB18030, but every character is a C1 control
    with pytest.raises(SeedforgeError, match="cannot decode"):
        _read(path)


@pytest.mark.parametrize("data", [b"PK\x03\x04\x00\x00binary", bytes(range(1, 8)) * 200 + b"text"])
def test_binary_file_is_an_error(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "image.txt"
    path.write_bytes(data)
    with pytest.raises(SeedforgeError, match=r"image\.txt: binary file, not text"):
        _read(path)


def test_jsonl_one_document_per_line(tmp_path: Path) -> None:
    path = tmp_path / "docs.jsonl"
    rows = [{"body": "first", "n": 1}, {"body": "zweite\r\nZeile"}]
    path.write_text(json.dumps(rows[0]) + "\n\n" + json.dumps(rows[1]) + "\n", encoding="utf-8")
    docs = list(iter_documents([path], text_field="body"))
    assert [(d.source, d.text) for d in docs] == [(f"{path}#1", "first"), (f"{path}#3", "zweite\nZeile")]
    assert [d.id for d in docs] == [document_id(str(path), 1), document_id(str(path), 3)]
    assert len({d.id for d in docs}) == 2 and all(len(d.id) == 16 for d in docs)


@pytest.mark.parametrize("encoding", ["utf-16", "gb18030", "utf-8-sig"])
def test_jsonl_encodings(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "zh.jsonl"
    lines = [json.dumps({"text": ZH}, ensure_ascii=False), json.dumps({"text": ZH[:10]}, ensure_ascii=False)]
    path.write_bytes("\n".join(lines).encode(encoding))
    assert [text for _, text in _read(path)] == [ZH, ZH[:10]]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"text": "broken', "not valid JSON"),
        ('{"title": "no text"}', "field 'text' is missing"),
        ('{"text": 42}', "field 'text' is a int"),
        ('{"text": null}', "field 'text' is null"),
        ('["text"]', "expected a JSON object"),
    ],
)
def test_bad_jsonl_line_names_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "fine"}\n{"text": "also fine"}\n' + line + "\n", encoding="utf-8")
    documents = iter_documents([path])
    assert next(documents).text == "fine"  # streamed: the bad line is only read when reached
    assert next(documents).text == "also fine"
    with pytest.raises(SeedforgeError, match=rf"bad\.jsonl:3: {message}"):
        next(documents)


def test_markdown_is_stripped_to_prose(tmp_path: Path) -> None:
    path = tmp_path / "guide.md"
    path.write_text(
        "---\ntitle: Guide\n---\n# Soil *moisture*\n\nRead the **sensor** with [the app](https://x.example/app)"
        " and `calibrate` it.\n\n```python\nprint('code is dropped')\n```\n\n"
        "- first item\n- _second_ item\n\n"
        "| Soil | Water |\n|------|-------|\n| clay | 40% |\n\n> A quoted line.\n\n![a figure](fig.png)\n",
        encoding="utf-8",
    )
    [(_, text)] = _read(path)
    assert text == (
        "Soil moisture\n\nRead the sensor with the app and calibrate it.\n\n- first item\n- second item\n\n"
        "Soil Water\nclay 40%\n\nA quoted line.\n\na figure"
    )


def test_html_keeps_prose_and_block_structure(tmp_path: Path) -> None:
    path = tmp_path / "page.htm"
    path.write_text(
        "<html><head><title>Site</title><style>p {color: red}</style></head><body>"
        "<header>Logo</header><nav><a href='/'>Home</a> | <a href='/about'>About</a></nav>"
        "<article><h1>Soil &amp; water</h1><p>Sensors measure\n   moisture.<br>Farmers irrigate.</p>"
        "<ul><li>clay</li><li>sand</li></ul><script>var x = 1;</script>"
        "<form><input name=q><button>Search</button></form></article>"
        "<aside>Related posts</aside><footer>&copy; 2024</footer></body></html>",
        encoding="utf-8",
    )
    [(_, text)] = _read(path)
    assert text == "Soil & water\n\nSensors measure moisture.\nFarmers irrigate.\n\nclay\nsand"


def test_pdf_one_document_per_page_with_text(tmp_path: Path) -> None:
    path = _pdf(tmp_path / "paper.pdf", ["Soil moisture sensors", "", "Calibrate each season"])
    stats = ReadStats()
    docs = list(iter_documents([path], stats=stats))
    assert [(d.source, d.text.strip()) for d in docs] == [
        (f"{path}#1", "Soil moisture sensors"),
        (f"{path}#3", "Calibrate each season"),
    ]
    assert stats.encodings["pdf"] == 1 and stats.sources[0].bytes == path.stat().st_size


def test_pdf_without_text_layer_is_an_error(tmp_path: Path) -> None:
    path = _pdf(tmp_path / "scan.pdf", ["", ""])
    with pytest.raises(SeedforgeError, match=r"scan\.pdf: PDF has no text layer \(scanned\?\)"):
        _read(path)


def test_a_damaged_pdf_is_our_one_message_not_pypdf_lines(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    """pypdf printed "EOF marker not found" on the terminal before seedforge's own error."""
    whole = _pdf(tmp_path / "whole.pdf", ["Soil moisture sensors"]).read_bytes()
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(whole[: whole.index(b"xref")])  # no cross-reference table, no %%EOF
    with (
        caplog.at_level(logging.WARNING),
        pytest.raises(
            SeedforgeError, match=r"cut\.pdf: cannot read the PDF \(damaged: EOF marker not found\)"
        ),
    ):
        _read(cut)
    repaired = tmp_path / "repaired.pdf"
    repaired.write_bytes(whole.replace(b"startxref\n", b"startxref\n9"))  # points past the end
    with caplog.at_level(logging.WARNING):
        assert [text.strip() for _, text in _read(repaired)] == ["Soil moisture sensors"]
    (record,) = caplog.records  # ours alone: none of pypdf's
    assert record.name == "pipeline.corpus.readers"
    assert record.getMessage().startswith(f"{repaired}: damaged PDF, read as pypdf repaired it (incorrect")
    # on stderr (where a command's logging goes) nothing but our warning, if anything
    assert all("damaged PDF, read as" in line for line in capsys.readouterr().err.splitlines())


def test_pdf_suffix_on_something_else_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "fake.pdf"
    path.write_text("just text", encoding="utf-8")
    with pytest.raises(SeedforgeError, match=r"fake\.pdf: not a PDF"):
        _read(path)


def test_directory_walk_sorted_recursive_skipping_hidden_and_unknown(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    (root / "b_dir" / "deeper").mkdir(parents=True)
    (root / ".git").mkdir()
    (root / ".git" / "notes.txt").write_text("hidden folder", encoding="utf-8")
    (root / ".draft.txt").write_text("hidden file", encoding="utf-8")
    (root / "c.txt").write_text("c", encoding="utf-8")
    (root / "a.md").write_text("# a", encoding="utf-8")
    (root / "b_dir" / "deeper" / "d.txt").write_text("d", encoding="utf-8")
    (root / "b_dir" / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00")
    (root / "b_dir" / "data.csv").write_text("x,y", encoding="utf-8")
    stats = ReadStats()
    assert [text for _, text in _read(root, stats=stats)] == ["a", "d", "c"]
    assert (stats.files, stats.documents, stats.hidden, stats.skipped) == (3, 3, 2, 2)
    assert dict(stats.skipped_suffixes) == {".png": 1, ".csv": 1}
    assert stats.skipped_examples == [str(root / "b_dir" / "data.csv"), str(root / "b_dir" / "image.png")]
    assert [s.path for s in stats.sources] == [
        str(root / "a.md"),
        str(root / "b_dir/deeper/d.txt"),
        str(root / "c.txt"),
    ]


def test_explicit_unknown_suffix_and_missing_path_are_errors(tmp_path: Path) -> None:
    csv = tmp_path / "table.csv"
    csv.write_text("a,b", encoding="utf-8")
    with pytest.raises(SeedforgeError, match=r"table\.csv: unknown document type '\.csv'"):
        _read(csv)
    with pytest.raises(SeedforgeError, match=r"nowhere: no such file or directory"):
        _read(tmp_path / "nowhere")
    with pytest.raises(SeedforgeError, match="no input paths"):
        list(iter_documents([]))


def test_ids_are_stable_and_distinct(tmp_path: Path) -> None:
    for name in ("one.txt", "two.txt"):
        (tmp_path / name).write_text("same text", encoding="utf-8")
    first = [d.id for d in iter_documents([tmp_path])]
    again = [d.id for d in iter_documents([tmp_path])]
    assert first == again and len(set(first)) == 2
