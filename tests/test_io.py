"""pipeline.io: atomic files and directories."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.io import (
    AtomicFiles,
    make_staging_dir,
    publish_dir,
    run_dir,
    sidecar,
    staging_dir,
    write_atomic,
    write_json_atomic,
    write_jsonl_atomic,
    write_lines_atomic,
)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_write_atomic_creates_parents_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "out.txt"
    write_atomic(target, "first")
    write_atomic(target, b"second \xe4")
    assert target.read_bytes() == b"second \xe4"
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.txt"]


def test_write_atomic_mode_follows_umask(tmp_path: Path) -> None:
    previous = os.umask(0o027)
    try:
        write_atomic(tmp_path / "f", "x")
        staging = make_staging_dir(tmp_path / "d")
    finally:
        os.umask(previous)
    assert _mode(tmp_path / "f") == 0o640
    assert _mode(staging) == 0o750


def test_failed_write_leaves_the_old_file_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    target.write_text("old\n", encoding="utf-8")

    def lines() -> Iterator[str]:
        yield "new"
        raise RuntimeError("generator failed")

    with pytest.raises(RuntimeError):
        write_lines_atomic(target, lines())
    assert target.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]


def test_json_and_jsonl(tmp_path: Path) -> None:
    write_json_atomic(tmp_path / "a.json", {"k": "中文"})
    assert json.loads((tmp_path / "a.json").read_text(encoding="utf-8")) == {"k": "中文"}
    assert "中文" in (tmp_path / "a.json").read_text(encoding="utf-8")
    write_jsonl_atomic(tmp_path / "b.jsonl", [{"i": 1}, {"i": 2}])
    assert (tmp_path / "b.jsonl").read_text(encoding="utf-8") == '{"i": 1}\n{"i": 2}\n'


def test_publish_dir_replaces_an_existing_directory(tmp_path: Path) -> None:
    final = tmp_path / "report"
    final.mkdir()
    (final / "old.txt").write_text("old")
    with staging_dir(final) as staging:
        (staging / "new.txt").write_text("new")
        publish_dir(staging, final)
    assert [p.name for p in final.iterdir()] == ["new.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["report"]


def test_publish_dir_without_replace_refuses_a_taken_name(tmp_path: Path) -> None:
    final = tmp_path / "v0001"
    final.mkdir()
    (final / "x").write_text("taken")
    with staging_dir(final) as staging:
        (staging / "y").write_text("mine")
        with pytest.raises(OSError):
            publish_dir(staging, final, replace=False)
    assert [p.name for p in final.iterdir()] == ["x"]
    assert [p.name for p in tmp_path.iterdir()] == ["v0001"]


def test_run_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEEDFORGE_DATA_DIR", str(tmp_path))
    assert run_dir("b1") == tmp_path.resolve() / "runs" / "b1"
    assert run_dir("b1").is_dir()


def test_outputs_differing_only_in_extension_never_share_a_sidecar() -> None:
    assert sidecar(Path("d/x.jsonl"), "report.json") == Path("d/x.report.json")  # the usual name
    assert sidecar(Path("d/x.json"), "report.json") == Path("d/x.json.report.json")
    outputs = ["x.json", "x.jsonl", "x.JSONL", "x.Json", "x.json.jsonl", "x.jsonl.jsonl", "x.jsonl.json"]
    for suffix in ("report.json", "report.md", "rejected.jsonl"):
        named = {sidecar(Path(out), suffix) for out in outputs}
        assert len(named) == len(outputs), suffix
        assert not named & {Path(out) for out in outputs}


def test_atomic_files_appear_together_or_not_at_all(tmp_path: Path) -> None:
    kept, report = tmp_path / "kept.jsonl", tmp_path / "sub" / "report.json"
    with AtomicFiles() as files:
        files.open(kept).write("a\n")
        files.open(report).write("{}")
        assert not kept.exists() and not report.exists()
        files.commit()
    assert kept.read_text(encoding="utf-8") == "a\n" and report.read_text(encoding="utf-8") == "{}"

    with pytest.raises(RuntimeError), AtomicFiles() as files:
        files.open(kept).write("b\n")
        raise RuntimeError("curation failed")
    assert kept.read_text(encoding="utf-8") == "a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.jsonl", "sub"]


def test_a_published_folder_has_no_owner_only_files(tmp_path: Path) -> None:
    """safetensors writes weights 0600: adapters and merged models were unreadable to a worker
    or a llama.cpp server running as another user, while every other output followed the umask."""
    import torch
    from safetensors.torch import save_file

    previous = os.umask(0o022)
    try:
        with staging_dir(tmp_path / "adapter") as staging:
            save_file({"w": torch.zeros(2)}, str(staging / "adapter_model.safetensors"))
            (staging / "script.sh").write_text("#!/bin/sh\n")
            (staging / "script.sh").chmod(0o700)  # not owner-only in the sense above: left alone
            publish_dir(staging, tmp_path / "adapter")
    finally:
        os.umask(previous)
    assert _mode(tmp_path / "adapter" / "adapter_model.safetensors") == 0o644
    assert _mode(tmp_path / "adapter" / "script.sh") == 0o700


@pytest.mark.parametrize("given", ["", ".", "out/.."])
def test_an_output_that_is_no_file_name_is_named_so(given: str) -> None:
    from pipeline.errors import SeedforgeError
    from pipeline.io import record_format

    with pytest.raises(SeedforgeError, match="is no file name: give a .json or .jsonl file"):
        record_format(given)
    with pytest.raises(SeedforgeError, match="this name has no extension"):
        record_format("records")


@pytest.mark.parametrize(
    "item",
    [
        {"instruction": 'ü 中文 \n " \\ \u2028', "input": "", "output": [1, 2.5, None, True, False]},
        {"nested": {"deeper": {"empty": {}, "list": []}}, "number": -0.0},
        [float("nan"), float("inf"), -float("inf"), 10**30, 1e-300],
        {1: "a key that is not a string", None: 2, 2.5: 3},
        "a bare string",
    ],
)
def test_json_text_writes_what_json_dumps_writes(item: object) -> None:
    from pipeline.io import json_text

    assert json_text(item) == json.dumps(item, ensure_ascii=False)


def test_json_text_refuses_what_json_cannot_write_as_json_dumps_does() -> None:
    from pipeline.io import json_text

    with pytest.raises(TypeError, match="not JSON serializable"):
        json_text({"when": object()})
