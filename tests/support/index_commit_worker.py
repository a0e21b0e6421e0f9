"""One build process of the concurrent-commit tests: round after round it opens the curation
index, curates its records (some only it has, some every worker has), waits for the other
workers at a barrier, and commits, so the commits of all workers race each other."""

from __future__ import annotations

from typing import Any

from pipeline.curate.config import CurateConfig
from pipeline.records import AlpacaRecord, Lineage

CONFIG = CurateConfig(steps=["exact"])  # every record kept: only the index's commits are tested
UNIQUE_PER_ROUND = 25
SHARED_PER_ROUND = 5


def _record(instruction: str) -> AlpacaRecord:
    return AlpacaRecord(
        instruction=instruction, input="", output="An answer.", lineage=Lineage(generator="test")
    )


def records_for(worker: int, round_: int) -> list[AlpacaRecord]:
    unique = [
        _record(f"Worker {worker} round {round_} task {i}: describe it.") for i in range(UNIQUE_PER_ROUND)
    ]
    shared = [_record(f"Shared round {round_} task {i}: describe it.") for i in range(SHARED_PER_ROUND)]
    return unique + shared


def build_name(worker: int, round_: int) -> str:
    return f"w{worker}-r{round_}"


def commit_builds(location: str, worker: int, rounds: int, barrier: Any) -> None:
    from pipeline.curate.curator import Curator
    from pipeline.curate.files import open_index

    for round_ in range(rounds):
        index = open_index(location, CONFIG)
        Curator(CONFIG, index=index).consider(records_for(worker, round_))
        barrier.wait(timeout=120)
        index.commit(build_name(worker, round_))
