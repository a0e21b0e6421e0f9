import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from tests.generate.dialogues.kb_chat_server import bodies, kb_chat_server

SEEDS = Path(__file__).resolve().parents[3] / "seeds" / "kb"
runner = CliRunner()
KB = (
    "condition,symptoms,tests,medications\nGout,joint pain; red toe,uric acid,colchicine\n"
    "Influenza,fever; cough,rapid influenza test,oseltamivir\nMigraine,headache; nausea,MRI,sumatriptan\n"
)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch):
    with kb_chat_server() as running:
        monkeypatch.setenv("OPENAI_BASE_URL", running.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "test-key")
        yield running


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def ingest(path: Path) -> None:
    result = runner.invoke(app, ["ingest", str(path), "--kb", "med"])
    assert result.exit_code == 0, result.output


def test_generate_is_incremental(server, data_dir: Path, tmp_path: Path) -> None:
    kb = tmp_path / "kb.csv"
    kb.write_text(KB, encoding="utf-8")
    ingest(kb)
    out = tmp_path / "dialogues.jsonl"
    result = runner.invoke(app, ["generate", "dialogues", "--kb", "med", "--n", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "2 grounded dialogues" in result.output and "grounded rate 100%" in result.output
    assert "coverage: 2/3 entries have dialogues" in result.output
    assert "entries with none (1): Migraine" in result.output
    assert len(lines(out)) == 2
    report = json.loads((tmp_path / "dialogues.report.json").read_text())
    assert report["coverage"]["entries_without_dialogues"] == ["Migraine"] and report["kept"] == 2
    assert report["curation"]["steps"] == ["output_checks", "structure", "pii"]
    assert (tmp_path / "dialogues.rejected.jsonl").read_text() == ""

    # only the entry without dialogues is pending now; its second sample is a near duplicate
    again = runner.invoke(
        app, ["generate", "dialogues", "--kb", "med", "--n", "5", "--max-attempts", "2", "--out", str(out)]
    )
    assert again.exit_code == 0, again.output
    assert "1 grounded dialogues" in again.output and "coverage: 3/3" in again.output
    assert "  1 total   1 new  Migraine" in again.output and "rouge_novelty" in again.output
    assert len(lines(out)) == 3 and "warning: 1 of 5" in again.output

    nothing = runner.invoke(app, ["generate", "dialogues", "--kb", "med", "--n", "5", "--out", str(out)])
    assert nothing.exit_code == 0 and "nothing to do: all 3 entries" in nothing.output

    # a changed entry is a new version: it alone gets a new dialogue
    kb.write_text(
        KB.replace(
            "uric acid,colchicine",
            "joint fluid analysis; serum uric acid; dual-energy CT,"
            "colchicine; allopurinol; febuxostat; naproxen",
        ),
        encoding="utf-8",
    )
    ingest(kb)
    changed = runner.invoke(app, ["generate", "dialogues", "--kb", "med", "--n", "1", "--out", str(out)])
    assert "1 grounded dialogues" in changed.output, changed.output
    newest = lines(out)[-1]
    assert "febuxostat" in newest["output"] and newest["lineage"]["generator"] == "kb_dialogue"

    # --all: every entry again; what would only repeat the output is dropped
    everything = runner.invoke(
        app, ["generate", "dialogues", "--kb", "med", "--n", "3", "--all", "--out", str(out)]
    )
    assert everything.exit_code == 0, everything.output
    report = json.loads((tmp_path / "dialogues.report.json").read_text())
    assert report["pending"] == 3 and report["attempted"] == 9
    assert report["kept"] + sum(report["rejected"].values()) == 9
    assert set(report["rejected"]) <= {"exact_duplicate", "rouge_novelty"}
    assert len(lines(out)) == 4 + report["kept"]


def test_json_export_and_three_turns(server, data_dir: Path, tmp_path: Path) -> None:
    ingest(SEEDS / "product_support.md")
    out = tmp_path / "support.json"
    result = runner.invoke(
        app, ["generate", "dialogues", "--kb", "med", "--n", "2", "--turns", "3", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert len(data) + len(lines(tmp_path / "support.json.rejected.jsonl")) >= 2
    for item in data:
        assert list(item) == ["messages"] and len(item["messages"]) == 7


def test_bad_arguments_exit_2(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "d.jsonl"
    missing = runner.invoke(app, ["generate", "dialogues", "--kb", "nope", "--n", "1", "--out", str(out)])
    assert missing.exit_code == 2 and "no knowledge base named 'nope'" in missing.output
    turns = runner.invoke(
        app, ["generate", "dialogues", "--kb", "x", "--n", "1", "--turns", "2", "--out", str(out)]
    )
    shown = " ".join(turns.output.replace("│", " ").split())
    assert turns.exit_code == 2 and "'2' is not one of '1', '3'" in shown
    wrong = runner.invoke(
        app, ["generate", "dialogues", "--kb", "x", "--n", "1", "--out", str(tmp_path / "d.csv")]
    )
    assert wrong.exit_code == 2 and "output must end in .jsonl" in wrong.output
    assert not out.exists()


def test_an_output_that_cannot_be_written_fails_before_any_request(
    server, data_dir: Path, tmp_path: Path
) -> None:
    """It was a traceback and exit 1 after every answer had been paid for."""
    kb = tmp_path / "kb.csv"
    kb.write_text(KB, encoding="utf-8")
    ingest(kb)
    for out, message in (
        (tmp_path / "folder.jsonl", "is a folder"),
        (tmp_path / "a-file" / "d.jsonl", "is a file, so no folder can be made under it"),
    ):
        if out.name == "folder.jsonl":
            out.mkdir()
        else:
            out.parent.write_text("x")
        result = runner.invoke(app, ["generate", "dialogues", "--kb", "med", "--n", "1", "--out", str(out)])
        assert result.exit_code == 2 and message in result.output, result.output
    assert [body for body in bodies(server) if "messages" in body] == []  # nothing was asked


def test_a_new_version_leaves_out_dialogues_of_edited_or_removed_entries(
    server, data_dir: Path, tmp_path: Path
) -> None:
    """The flow's dataset version held the dialogues of a removed entry and of an edited entry's
    old text next to the new one."""
    from pipeline.dataset.versions import read_records
    from pipeline.generate.dialogues.build import current_dialogues

    kb = tmp_path / "kb.csv"
    kb.write_text(KB, encoding="utf-8")
    ingest(kb)
    out = tmp_path / "dialogues.jsonl"
    result = runner.invoke(app, ["generate", "dialogues", "--kb", "med", "--n", "3", "--out", str(out)])
    assert result.exit_code == 0 and len(lines(out)) == 3, result.output
    current, retired = current_dialogues("med", read_records(out))
    assert (len(current), retired) == (3, 0)

    edited = KB.replace("Gout,joint pain; red toe", "Gout,joint pain; swollen red toe")
    kb.write_text("\n".join(line for line in edited.splitlines() if not line.startswith("Migraine")) + "\n")
    ingest(kb)  # Gout changed, Migraine removed, Influenza unchanged
    current, retired = current_dialogues("med", read_records(out))
    assert retired == 2 and [r.lineage.kb_entry_id for r in current] == [
        r["lineage"]["kb_entry_id"] for r in lines(out) if "nfluenza" in json.dumps(r)
    ]
