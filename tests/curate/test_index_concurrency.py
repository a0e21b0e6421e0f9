"""Two build processes committing to one curation index at the same moment, round after
round, on disk and on a real Redis: every record of both ends in the index, every build in
the builds list, each build whole."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import numpy as np

from pipeline.curate.files import open_index
from pipeline.curate.index import CurationIndex
from pipeline.curate.minhash import Signer
from pipeline.curate.prepare import Preparer
from tests.support.index_commit_worker import CONFIG, build_name, commit_builds, records_for
from tests.support.redis_server import redis_server

WORKERS = 2
ROUNDS = 8  # the unguarded read-modify-write of the builds list lost a build in most such runs


def commit_at_once(location: str) -> None:
    context = multiprocessing.get_context("spawn")  # real processes, nothing inherited
    barrier = context.Barrier(WORKERS)
    processes = [
        context.Process(target=commit_builds, args=(location, worker, ROUNDS, barrier))
        for worker in range(WORKERS)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=240)
    assert [process.exitcode for process in processes] == [0] * WORKERS


def check_nothing_lost(index: CurationIndex) -> None:
    builds = index.builds()
    expected_builds = {build_name(w, r) for w in range(WORKERS) for r in range(ROUNDS)}
    assert sorted(b["name"] for b in builds) == sorted(expected_builds)
    per_build = len(records_for(0, 0))
    assert {b["entries"] for b in builds} == {per_build}
    ids = [entry.id for entry in index.entries()]
    assert len(ids) == per_build * WORKERS * ROUNDS  # each build whole (shared records once per build)
    wanted = {record.id for w in range(WORKERS) for r in range(ROUNDS) for record in records_for(w, r)}
    assert set(ids) == wanted


def test_two_processes_committing_to_one_disk_index_lose_nothing(tmp_path: Path) -> None:
    location = str(tmp_path / "index")
    commit_at_once(location)
    index = open_index(location, CONFIG)
    check_nothing_lost(index)
    assert not [p for p in Path(location).iterdir() if p.name.startswith(".staging")]
    segments = sorted(b["segment"] for b in index.builds())
    assert segments == [f"{n:06d}" for n in range(1, WORKERS * ROUNDS + 1)]  # none overwritten


def test_two_processes_committing_to_one_redis_index_lose_nothing(tmp_path: Path) -> None:
    with redis_server(tmp_path / "redis", password="s3cret") as server:
        location = server.url(db=2)
        commit_at_once(location)
        index = open_index(location, CONFIG)
        check_nothing_lost(index)
        # the LSH and the signatures of both builds are there too: every record finds itself
        remote = index.remote()
        assert remote is not None
        preparer = Preparer(CONFIG, ("exact",), True)
        signer = Signer(CONFIG.minhash)
        for record in records_for(1, ROUNDS - 1) + records_for(0, 0):
            signature = preparer.prepare(record).signature
            found = remote.find(signer.minhash(np.asarray(signature)), 0.99)
            assert found is not None and found.partner_id == record.id
