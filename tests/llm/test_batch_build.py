"""A self-instruct build with llm.mode: batch end to end against the scripted files+batches server:
every request goes through a batch (one per generation round, since later prompts draw on the
pool earlier rounds grew), and a second run of the same build replays from the journal."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import SeedforgeError
from tests.build.conftest import build_config, quiet_build, read_split
from tests.support.batch_server import BatchServer
from tests.support.fault_server import FaultServer
from tests.support.scripted_model import scripted_model


def test_a_self_instruct_build_runs_on_the_batch_api(data_dir: Path) -> None:
    with BatchServer(responder=scripted_model) as server:
        config = build_config(server.base_url)
        config = config.model_copy(
            update={"llm": config.llm.model_copy(update={"mode": "batch", "batch_poll_s": 0.01})}
        )
        result = quiet_build(config)
        version = result.publication.version
        rows = read_split(version.path, "train") + read_split(version.path, "heldout")
        assert len(rows) == config.generate.target
        lines = sum(len(server.input_lines(batch)) for batch in server.batches)
        # every chat request the server saw was a batch line: nothing went online
        assert server.batches_created >= 2 and lines == len(server.received) > 0
        assert set(server.answered_counts().values()) == {1}
        print(f"batches={server.batches_created} lines={lines} records={len(rows)}")


def test_a_build_in_batch_mode_on_an_endpoint_without_batches_stops_before_any_work(
    data_dir: Path,
) -> None:
    with FaultServer(responder=scripted_model) as server:
        config = build_config(server.base_url)
        config = config.model_copy(update={"llm": config.llm.model_copy(update={"mode": "batch"})})
        with pytest.raises(SeedforgeError, match="offers no Batch API") as caught:
            quiet_build(config)
        assert server.base_url in str(caught.value)
        assert server.received == []
    # no run folder, no build state, no dataset version
    assert not (data_dir / "runs").exists() or not any((data_dir / "runs").iterdir())
    assert not (data_dir / "datasets").exists() or not any((data_dir / "datasets").rglob("*.json*"))
