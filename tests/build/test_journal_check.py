"""A build whose journal (SEEDFORGE_JOURNAL_URL) is misnamed or unreachable stops before any
request is sent and before anything is written under the dataset's folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import EndpointError, SeedforgeError
from tests.build.conftest import build_config, quiet_build
from tests.support.fault_server import FaultServer
from tests.support.redis_server import free_port


@pytest.mark.parametrize(
    ("url", "error", "expected"),
    [
        ("mysql://bob:hunter2@db/jobs", SeedforgeError, "unknown journal scheme 'mysql'"),
        ("postgresql://bob:hunter2@127.0.0.1:{port}/jobs", EndpointError, "connection refused"),
    ],
)
def test_a_bad_journal_stops_the_build_before_anything_is_sent_or_written(
    url: str,
    error: type[Exception],
    expected: str,
    server: FaultServer,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SEEDFORGE_JOURNAL_URL", url.format(port=free_port()))
    with pytest.raises(error, match=expected) as caught:
        quiet_build(build_config(server.base_url))
    assert "hunter2" not in str(caught.value) and "bob:***@" in str(caught.value)
    assert not server.received and not (data_dir / "datasets").exists()
    assert not (data_dir / "journal.sqlite3").exists()
