"""The API key never appears in logs, the journal or its exported views, reports or datasets —
even when a careless server repeats it back in errors and answers."""

import json
import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.llm.endpoint import run_requests
from pipeline.llm.failures import LLMEndpointError, redact
from pipeline.llm.journal import Journal
from pipeline.llm.metrics import stats_markdown
from pipeline.records import AlpacaRecord, Lineage
from tests.support import faults
from tests.support.fault_server import Action, FaultServer
from tests.support.llm_fixtures import FAST, SECRET, ask, endpoint_for


def files_under(path: Path) -> list[Path]:
    return [p for p in path.rglob("*") if p.is_file()]


def test_redact_hides_keys_bearer_tokens_and_url_credentials() -> None:
    text = f"failed for Bearer {SECRET} at http://user:pw@host/v1 with key {SECRET}"
    cleaned = redact(text, (SECRET,))
    assert SECRET not in cleaned and "user:pw" not in cleaned and "host/v1" in cleaned


def test_the_api_key_never_leaves_the_process(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # everything: ours, the SDK's, the HTTP library's
    script = [faults.server_error(500), Action(status=400), faults.garbage()]
    journal_path = tmp_path / "data" / "journal.sqlite3"
    with FaultServer(script, echo_authorization=True) as server, Journal(journal_path) as journal:
        endpoint = endpoint_for(server)
        results, stats = run_requests(endpoint, FAST, journal, [ask("a"), ask("b"), ask("c")])
        assert server.received[0].authorization == f"Bearer {SECRET}"  # it was really sent
        assert {r.status for r in results} == {"answered", "quarantined"}
    with (
        FaultServer(default=Action(status=401), echo_authorization=True) as server,
        Journal(journal_path) as journal,
    ):
        with pytest.raises(LLMEndpointError) as refused:
            run_requests(endpoint_for(server), FAST, journal, [ask("d")])

    export = tmp_path / "export.jsonl"
    outcome = CliRunner().invoke(
        app, ["llm", "journal", "export", "--journal", str(journal_path), "--out", str(export)]
    )
    assert outcome.exit_code == 0, outcome.output
    stats_out = CliRunner().invoke(app, ["llm", "journal", "stats", "--journal", str(journal_path)])

    from pipeline.dataset.versions import write_version

    records = [
        AlpacaRecord(
            instruction="a",
            output=r.text,
            lineage=Lineage(generator="test", request_key=r.key, model=endpoint.model),
        )
        for r in results
        if r.ok
    ]
    version = write_version(
        "secrets",
        records,
        records[:1],
        [],
        config=FAST.model_dump(mode="json"),
        stats={"llm": stats.as_dict()},
        root=tmp_path / "datasets",
    )

    texts = [
        caplog.text,
        json.dumps(stats.as_dict()),
        stats_markdown(stats.as_dict()),
        repr(results),
        repr(endpoint),
        str(endpoint),
        str(refused.value),
        stats_out.output,
        json.dumps(endpoint.totals().as_dict()),
    ]
    assert all(SECRET not in text for text in texts)
    written = files_under(tmp_path)
    assert journal_path in written and export in written and any(version.path in p.parents for p in written)
    assert all(SECRET.encode() not in path.read_bytes() for path in written)
    assert any("***" in r.text for r in results if r.ok)  # the echoed key was scrubbed, not kept
