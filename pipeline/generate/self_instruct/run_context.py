"""What every batch of one self-instruct run shares."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.generate.self_instruct.config import GenerateConfig
from pipeline.generate.self_instruct.earlier import FIRST_BUILD, EarlierBuilds
from pipeline.generate.self_instruct.screen import InstructionScreen
from pipeline.generate.self_instruct.turnstile import Turnstile
from pipeline.llm.config import LLMConfig
from pipeline.llm.endpoint import Endpoint
from pipeline.llm.journal_api import JournalStore
from pipeline.llm.step import Progress
from pipeline.records import SeedTask


@dataclass
class SelfInstructRun:
    """What every batch of one run shares. `screen` carries instruction novelty across batches
    (a batch without one screens against the seeds only); `earlier` is what the dataset's
    earlier builds hand over (the build number decides the sampling)."""

    seeds: list[SeedTask]
    config: GenerateConfig
    llm: LLMConfig
    endpoint: Endpoint
    journal: JournalStore
    build: str
    screen: InstructionScreen | None = None
    progress: Progress | None = None  # after every step: (requests answered, the batch's usage)
    earlier: EarlierBuilds = FIRST_BUILD
    turnstile: Turnstile | None = None  # batches in flight admit in batch order (turnstile.py)
