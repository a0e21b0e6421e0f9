"""The curate-file flow on Prefect: a file curated with its per-record half on a Dask
LocalCluster gives what `seedforge curate` gives in one process, with the rejected records and
the report beside the kept file and the summary as an artifact; a scheduler that cannot be
reached fails the run with nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.flows.conftest import read_artifacts
from tests.support.curation_corpus import comparable, mixed_corpus, write_jsonl

pytestmark = pytest.mark.slow


def test_the_flow_on_a_local_cluster_gives_the_single_process_result(
    prefect_harness, tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.curate_file import curate_file as curate_file_flow
    from pipeline.config import CurateFileParams
    from pipeline.curate import on_dask
    from pipeline.curate.config import CurateConfig
    from pipeline.curate.files import curate_file

    source = write_jsonl(tmp_path / "in.jsonl", mixed_corpus(300))
    single = curate_file(
        source, tmp_path / "single.jsonl", CurateConfig(), rejected=tmp_path / "single.rejected.jsonl", jobs=0
    )
    params = CurateFileParams(source=str(source), out=str(tmp_path / "flow.jsonl"), dask="local:2")
    summary = curate_file_flow(params)
    assert summary["preparing"]["workers"] == 2
    assert comparable(summary) == comparable(single) and single["counts"]["rejected"] > 50
    assert (tmp_path / "flow.jsonl").read_bytes() == (tmp_path / "single.jsonl").read_bytes()
    assert (tmp_path / "flow.rejected.jsonl").read_bytes() == (
        tmp_path / "single.rejected.jsonl"
    ).read_bytes()
    assert (tmp_path / "flow.report.json").is_file()
    report = read_artifacts(["flow-curation-report"])["flow-curation-report"]
    assert f"kept {single['counts']['kept']}, rejected {single['counts']['rejected']}" in report
    assert "local:2 (Dask)" in report

    # a relative output goes under the data directory, not the worker's working directory
    relative = curate_file_flow(CurateFileParams(source=str(source), out="curated/again.jsonl", jobs=0))
    assert (data_dir / "curated" / "again.jsonl").read_bytes() == (tmp_path / "single.jsonl").read_bytes()
    assert relative["rejected_file"] == str(data_dir / "curated" / "again.rejected.jsonl")
    with pytest.raises(Exception, match=r"not \.txt"):  # refused before a cluster is started
        curate_file_flow(CurateFileParams(source=str(source), out="curated/kept.txt", dask="local:2"))
    assert not list((data_dir / "curated").glob("kept*"))

    monkeypatch.setattr(on_dask, "CONNECT_SECONDS", 1)
    gone = CurateFileParams(source=str(source), out=str(tmp_path / "gone.jsonl"), dask="tcp://127.0.0.1:9")
    with pytest.raises(Exception, match="dask scheduler tcp://127.0.0.1:9: cannot connect within 1 s"):
        curate_file_flow(gone)
    assert not list(tmp_path.glob("gone*"))
