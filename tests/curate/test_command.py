import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app

runner = CliRunner()

RECORDS = [
    {
        "instruction": "Explain how a bicycle gear works.",
        "input": "",
        "output": "Gears change how far the wheel turns for each turn of the pedals.",
    },
    {"instruction": "Explain how a  BICYCLE gear works.", "input": "", "output": "Other words."},
    {"instruction": "Draw a cat wearing a hat.", "input": "", "output": "I cannot draw."},
    {
        "instruction": "Write a reply to the customer below.",
        "input": "Mail me at jane@example.com.",
        "output": "Dear Jane, thank you for your message; we will reply by tomorrow.",
    },
    {
        "instruction": "Write a short poem about the sea.",
        "input": "",
        "output": "Waves roll in and out while gulls cry above the shore.",
    },
    {
        "instruction": "Write a long and sad poem about the sea tonight.",
        "input": "",
        "output": "The sea is grey tonight and the tide pulls at the stones.",
    },
    {
        "messages": [
            {"role": "user", "content": "图书馆周末几点开门？"},
            {"role": "assistant", "content": "周末上午十点开门，下午五点关门。"},
        ]
    },
]


def write_jsonl(path: Path, items: list) -> Path:
    path.write_text("".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items), encoding="utf-8")
    return path


def test_curate_writes_kept_rejected_and_report(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", RECORDS)
    out, rejected, report = tmp_path / "out.json", tmp_path / "rejected.jsonl", tmp_path / "report.json"
    result = runner.invoke(
        app, ["curate", str(source), "--out", str(out), "--rejected", str(rejected), "--report", str(report)]
    )
    assert result.exit_code == 0, result.output
    assert "kept 4, rejected 3" in result.output
    kept = json.loads(out.read_text(encoding="utf-8"))
    assert kept[0] == RECORDS[0]  # plain records stay plain
    assert kept[1]["input"] == "Mail me at [EMAIL]."
    assert kept[3] == RECORDS[6]
    rows = [json.loads(line) for line in rejected.read_text(encoding="utf-8").splitlines()]
    assert [(r["line"], r["step"], r["reason"]) for r in rows] == [
        (2, "exact", "exact_duplicate"),
        (3, "filters", "blacklist:draw"),
        (6, "novelty", "rouge_novelty"),
    ]
    assert rows[0]["evidence"]["partner_text"] == RECORDS[0]["instruction"]
    assert rows[1]["evidence"] == {"rule": "blacklist", "term": "draw", "field": "instruction"}
    assert (
        rows[2]["evidence"]["score"] > 0.7 and rows[2]["record"]["instruction"] == RECORDS[5]["instruction"]
    )
    summary = json.loads(report.read_text(encoding="utf-8"))
    assert summary["counts"] == {"input": 7, "kept": 4, "rejected": 3}
    assert summary["rejected_by_reason"] == {"blacklist:draw": 1, "exact_duplicate": 1, "rouge_novelty": 1}
    assert summary["pii"]["found_by_type"] == {"email": 1}
    assert set(summary["examples"]) == {"blacklist:draw", "exact_duplicate", "rouge_novelty"}
    assert summary["steps"] == ["filters", "output_checks", "structure", "pii", "exact", "minhash", "novelty"]


def test_steps_and_threshold_options(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", RECORDS)
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["curate", str(source), "--out", str(out), "--steps", "novelty"])
    assert result.exit_code == 0, result.output
    kept = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(kept) == 5  # only the exact repeat and the ROUGE-L near-duplicate go
    result = runner.invoke(
        app, ["curate", str(source), "--out", str(out), "--steps", "novelty", "--rouge-threshold", "0.75"]
    )
    assert "kept 6, rejected 1" in result.output
    result = runner.invoke(app, ["curate", str(source), "--out", str(out), "--steps", "dedup"])
    assert result.exit_code == 2 and "unknown curation step(s) dedup" in result.output


def test_index_option_dedups_across_builds(tmp_path: Path) -> None:
    first = write_jsonl(tmp_path / "a.jsonl", RECORDS[:1])
    second = write_jsonl(tmp_path / "b.jsonl", RECORDS[1:2] + RECORDS[4:5])
    index = tmp_path / "index"
    assert (
        runner.invoke(
            app,
            [
                "curate",
                str(first),
                "--out",
                str(tmp_path / "a.out.jsonl"),
                "--index",
                str(index),
                "--build",
                "v1",
            ],
        ).exit_code
        == 0
    )
    result = runner.invoke(
        app,
        [
            "curate",
            str(second),
            "--out",
            str(tmp_path / "b.out.jsonl"),
            "--index",
            str(index),
            "--build",
            "v2",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "kept 1, rejected 1" in result.output and "1 earlier builds, added 1 as v2" in result.output


@pytest.mark.parametrize(
    "content, line, message",
    [
        ('{"instruction": "A", "output": "b"}\n\n{"instruction": "B" "output": "c"}\n', 3, "not valid JSON"),
        ('{"instruction": "A", "output": "b"}\n{"instruction": "B", "input": \n', 2, "(column 31)"),  # not 1
        ('{"instruction": "A", "output": "b"}\n{"instruction": "B"}\n', 2, "output: Field required"),
        ('{"instruction": "A", "output": "b"}\n["x"]\n', 2, "expected a JSON object"),
        (
            '[\n  {"instruction": "A", "output": "b"},\n'
            '  {"instruction": "B",\n   "input": 3, "output": "c"}\n]',
            3,
            "input: Input should be a valid string",
        ),
        (
            '[\n  {"instruction": "A", "output": "b"}\n  {"instruction": "B", "output": "c"}\n]',
            3,
            "expected ',' or ']'",
        ),
        (
            '{"messages": [{"role": "robot", "content": "hi"}, {"role": "user", "content": "x"}]}\n',
            1,
            "not a valid dialogue",
        ),
        # nesting deeper than the parser's recursion: a malformed line, not a RecursionError
        ('{"instruction": "A", "output": "b"}\n' + "[" * 5000 + "]" * 5000 + "\n", 2, "nested too deeply"),
        (
            '[\n  {"instruction": "A", "output": "b"},\n  ' + '{"a":' * 5000 + "1" + "}" * 5000 + "\n]",
            3,
            "nested too deeply",
        ),
    ],
)
def test_malformed_input_names_file_and_line_and_writes_nothing(
    tmp_path: Path, content: str, line: int, message: str
) -> None:
    source = tmp_path / "bad.json"
    source.write_text(content, encoding="utf-8")
    out, index = tmp_path / "out.jsonl", tmp_path / "index"
    result = runner.invoke(
        app,
        [
            "curate",
            str(source),
            "--out",
            str(out),
            "--report",
            str(tmp_path / "r.json"),
            "--rejected",
            str(tmp_path / "rej.jsonl"),
            "--index",
            str(index),
        ],
    )
    assert result.exit_code == 2
    assert f"{source}:{line}" in result.output and message in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.json", "index"]
    manifest = json.loads((index / "index.json").read_text(encoding="utf-8"))
    assert manifest["builds"] == [] and not [p for p in index.iterdir() if p.name.startswith(".staging")]


def test_missing_input_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["curate", str(tmp_path / "nope.json"), "--out", str(tmp_path / "o.json")])
    assert result.exit_code == 2 and "input file not found" in result.output
    result = runner.invoke(app, ["curate", str(tmp_path), "--out", str(tmp_path / "o.json")])
    assert result.exit_code == 2 and "a folder, not a file" in result.output


@pytest.mark.parametrize("name, content", [("e.json", ""), ("e.jsonl", ""), ("blank.jsonl", "\n  \n")])
def test_an_input_without_records_is_refused_and_nothing_written(
    tmp_path: Path, name: str, content: str
) -> None:
    source = tmp_path / name
    source.write_text(content, encoding="utf-8")
    result = runner.invoke(app, ["curate", str(source), "--out", str(tmp_path / "o.jsonl")])
    assert result.exit_code == 2 and "no records to curate" in result.output
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_curating_in_place_needs_a_rejected_file(tmp_path: Path) -> None:
    """`curate IN --out IN` replaced the input with what it kept, and the rest existed nowhere."""
    source = write_jsonl(tmp_path / "in.jsonl", RECORDS)
    before = source.read_bytes()
    result = runner.invoke(app, ["curate", str(source), "--out", str(source)])
    assert result.exit_code == 2 and "curating in place needs --rejected" in " ".join(result.output.split())
    assert source.read_bytes() == before
    rejected = tmp_path / "r.jsonl"
    result = runner.invoke(app, ["curate", str(source), "--out", str(source), "--rejected", str(rejected)])
    assert result.exit_code == 0, result.output
    kept, dropped = source.read_text().splitlines(), rejected.read_text().splitlines()
    assert len(kept) + len(dropped) == len(before.decode().splitlines())


def test_curate_does_not_import_torch_transformers_or_prefect(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", RECORDS)
    code = (
        "import sys\n"
        "from pipeline.cli import app\n"
        f"sys.argv = ['seedforge', 'curate', {str(source)!r}, '--out', {str(tmp_path / 'o.jsonl')!r},"
        f" '--index', {str(tmp_path / 'idx')!r}]\n"
        "try:\n    app()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('torch', 'transformers', 'prefect') if m in sys.modules))\n"
        "print('pipeline.curate.structure' in sys.modules, 'datasketch' in sys.modules,"
        " 'lingua' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-2:] == ["[]", "True True True"]  # it really curated


def test_config_file_and_options_set_the_curate_section(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", RECORDS)
    config = tmp_path / "run.yaml"
    config.write_text(
        "curate:\n  pii:\n    action: drop\n  filters:\n    blacklist: [hat]\n", encoding="utf-8"
    )
    out, rejected = tmp_path / "out.jsonl", tmp_path / "rejected.jsonl"
    result = runner.invoke(
        app,
        [
            "curate",
            str(source),
            "--out",
            str(out),
            "--rejected",
            str(rejected),
            "--config",
            str(config),
            "--steps",
            "filters,pii",
        ],
    )
    assert result.exit_code == 0, result.output
    reasons = [json.loads(line)["reason"] for line in rejected.read_text(encoding="utf-8").splitlines()]
    assert reasons == ["blacklist:hat", "pii"]
    result = runner.invoke(
        app,
        [
            "curate",
            str(source),
            "--out",
            str(out),
            "--rejected",
            str(rejected),
            "--config",
            str(config),
            "--steps",
            "pii",
            "--pii",
            "redact",
        ],
    )
    assert "kept 7, rejected 0" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("curate:\n  pii:\n    action: shred\n", encoding="utf-8")
    result = runner.invoke(app, ["curate", str(source), "--out", str(out), "--config", str(bad)])
    assert result.exit_code == 2 and f"{bad}:3" in result.output
    result = runner.invoke(app, ["curate", str(source), "--out", str(out), "--compare", "question"])
    shown = " ".join(result.output.replace("│", " ").split())
    assert result.exit_code == 2 and "'question' is not one of 'prompt', 'instruction'" in shown


def test_a_worker_process_gives_the_same_result_and_the_same_errors(tmp_path: Path) -> None:
    from pipeline.curate.config import CurateConfig
    from pipeline.curate.files import curate_file

    lineage = {"generator": "test", "created_at": "2026-01-01T00:00:00+00:00"}
    source = write_jsonl(tmp_path / "in.jsonl", [dict(r, lineage=lineage) for r in RECORDS + RECORDS[:2]])
    summaries = [
        curate_file(
            source,
            tmp_path / f"out{jobs}.jsonl",
            CurateConfig(),
            rejected=tmp_path / f"rej{jobs}.jsonl",
            jobs=jobs,
        )
        for jobs in (0, 1)
    ]
    assert summaries[0]["counts"] == summaries[1]["counts"] == {"input": 9, "kept": 4, "rejected": 5}
    for name in ("out{}.jsonl", "rej{}.jsonl"):
        assert (tmp_path / name.format(0)).read_text() == (tmp_path / name.format(1)).read_text()
    bad = tmp_path / "bad.jsonl"
    bad.write_text("".join(json.dumps(r) + "\n" for r in RECORDS) + '{"instruction": "x"}\n{oops\n')
    result = runner.invoke(app, ["curate", str(bad), "--out", str(tmp_path / "o.jsonl"), "--jobs", "1"])
    assert result.exit_code == 2 and f"{bad}:8" in result.output and "output: Field required" in result.output
    assert not (tmp_path / "o.jsonl").exists()


@pytest.mark.parametrize("jobs", ["0", "1"])
@pytest.mark.parametrize("as_list", [False, True])
def test_text_that_is_not_utf8_is_named_at_its_line(tmp_path: Path, jobs: str, as_list: bool) -> None:
    rows = [json.dumps(r, ensure_ascii=False) for r in RECORDS[:5]]
    text = ("[\n" + ",\n".join(rows) + "\n]\n") if as_list else "".join(row + "\n" for row in rows)
    lines = text.splitlines(keepends=True)
    bad_line = 6 if as_list else 5  # the poem record
    lines[bad_line - 1] = lines[bad_line - 1].replace("poem", "po\u00e9m")
    source = tmp_path / ("latin1.json" if as_list else "latin1.jsonl")
    source.write_bytes("".join(lines).encode("latin-1", errors="replace"))
    out = tmp_path / "out" / "kept.jsonl"
    result = runner.invoke(
        app,
        ["curate", str(source), "--out", str(out), "--rejected", str(tmp_path / "r.jsonl"), "--jobs", jobs],
    )
    assert result.exit_code == 2, result.output
    assert f"{source}:{bad_line}: not UTF-8 text" in result.output and "0xe9" in result.output
    assert "iconv" in result.output and "Traceback" not in result.output
    assert not out.exists() and not (tmp_path / "r.jsonl").exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--rejected", "{src}"], "--rejected is the input file: it would be overwritten"),
        (["--report", "{src}"], "the report is one JSON object: name it .json"),
        (["--rejected", "{out}"], "--rejected and --out name the same file"),
        (["--report", "{tmp}/r.json", "--rejected", "{tmp}/r.json"], "--report and --rejected name the same"),
        (["--rejected", "{tmp}/folder.jsonl"], "--rejected is a folder, not a file"),
        (["--rejected", "{src}/r.jsonl"], "is a file, so no folder can be made under it"),
    ],
)
def test_outputs_that_would_clobber_the_input_or_each_other_are_refused(
    tmp_path: Path, extra: list[str], message: str
) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", RECORDS)
    (tmp_path / "folder.jsonl").mkdir()
    before = source.read_bytes()
    out = tmp_path / "kept.jsonl"
    args = [a.format(src=source, out=out, tmp=tmp_path) for a in extra]
    result = runner.invoke(app, ["curate", str(source), "--out", str(out), *args])
    assert result.exit_code == 2 and message in " ".join(result.output.split()), result.output
    assert source.read_bytes() == before and not out.exists()


def test_shipped_seed_tasks_are_found_from_any_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    source = write_jsonl(tmp_path / "in.jsonl", RECORDS)
    result = runner.invoke(
        app,
        ["curate", str(source), "--out", str(tmp_path / "k.jsonl"), "--seeds", "seeds/seed_tasks_en.jsonl"],
    )
    assert result.exit_code == 0, result.output


def test_an_object_wrapping_the_records_is_named_as_such(tmp_path: Path) -> None:
    source = tmp_path / "wrapped.json"
    source.write_text(json.dumps({"data": RECORDS[:2], "version": 1}), encoding="utf-8")
    result = runner.invoke(app, ["curate", str(source), "--out", str(tmp_path / "k.jsonl")])
    assert result.exit_code == 2
    assert f"{source}:1: not a record: an object with keys ['data', 'version']" in result.output
    assert "records inside 'data'? give the list itself" in " ".join(result.output.split())


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--report", "report.jsonl"], "the report is one JSON object: name it .json"),
        (["--build", " "], "--build names this build in the index: give it a name"),
        (["--jobs", "-3"], "Invalid value for '--jobs'"),
    ],
)
def test_options_that_cannot_mean_anything_exit_2(tmp_path: Path, extra: list[str], message: str) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", RECORDS)
    args = [str(tmp_path / a) if a.endswith(".jsonl") else a for a in extra]
    result = runner.invoke(app, ["curate", str(source), "--out", str(tmp_path / "k.jsonl"), *args])
    assert result.exit_code == 2 and message in " ".join(result.output.split()), result.output
    assert not (tmp_path / "k.jsonl").exists()


def test_a_report_file_that_is_the_input_is_refused_by_the_library_too(tmp_path: Path) -> None:
    from pipeline.curate.config import CurateConfig
    from pipeline.curate.files import curate_file
    from pipeline.errors import SeedforgeError

    source = tmp_path / "in.json"
    source.write_text(json.dumps(RECORDS), encoding="utf-8")
    with pytest.raises(SeedforgeError, match="--report is the input file: it would be overwritten"):
        curate_file(source, tmp_path / "k.jsonl", CurateConfig(), report=source)
    assert json.loads(source.read_text(encoding="utf-8")) == RECORDS
