"""Instruction-level screening, before any instance is paid for: self-instruct and Alpaca apply
the paper filters and the ROUGE-L novelty rule to new *instructions* (against the seeds, the
instructions earlier builds of the dataset kept, and every instruction admitted so far), then
generate instances only for the survivors.

A batch may run twice (a Prefect task retry replays its answers from the journal), so
admitting is idempotent per batch: an instruction this same batch admitted before is admitted
again rather than rejected as a duplicate of itself."""

from __future__ import annotations

from collections.abc import Iterable

from pipeline.curate.config import CurateConfig, StructureConfig
from pipeline.curate.curator import Curator
from pipeline.generate.self_instruct.earlier import EarlierInstruction
from pipeline.records import AlpacaRecord, Lineage, RejectedRecord, SeedTask

INSTRUCTION_STEPS = ("filters", "structure", "exact", "novelty")
# the structural checks that read an instruction alone (the others judge an answer)
INSTRUCTION_STRUCTURE = ("prompt_leakage", "markup_debris", "fragments", "task_form")
STEP_PREFIX = "instruction_"


def curator_with_steps(config: CurateConfig, steps: tuple[str, ...]) -> Curator:
    """A curator running only those of `steps` that the run's config enables."""
    chosen = [step for step in steps if step in config.steps]
    return Curator(config.model_copy(update={"steps": chosen}), steps=chosen)


class InstructionScreen:
    def __init__(self, config: CurateConfig, seeds: list[SeedTask], language: str):
        self.language = language
        structure = config.structure.model_copy(
            update={name: False for name in StructureConfig.model_fields if name not in INSTRUCTION_STRUCTURE}
        )
        self.curator = curator_with_steps(
            config.model_copy(update={"compare": "instruction", "structure": structure}), INSTRUCTION_STEPS
        )
        for seed in seeds:
            self.curator.add_reference(seed.id, seed.instruction)
        self._admitted_by: dict[str, int] = {}

    def add_earlier(self, instructions: Iterable[EarlierInstruction]) -> None:
        """Instructions earlier builds of the dataset kept: new ones must be novel against them
        (a rejection's partner is the earlier record's id)."""
        for earlier in instructions:
            self.curator.add_reference(earlier.record_id, earlier.instruction)

    def probe(self, instruction: str, seed_ids: list[str]) -> AlpacaRecord:
        """The instruction as a record without an answer yet, for the filters' eyes only."""
        return AlpacaRecord(
            instruction=instruction,
            output="",
            lineage=Lineage(generator="self_instruct", seed_ids=seed_ids, language=self.language),
        )

    def admit(self, instruction: str, seed_ids: list[str], batch: int) -> RejectedRecord | None:
        probe = self.probe(instruction, seed_ids)
        if self._admitted_by.get(probe.id) == batch:
            return None
        rejected = self.curator.consider_one(probe)
        if rejected is None:
            self._admitted_by[probe.id] = batch
            return None
        rejected.step = STEP_PREFIX + rejected.step
        return rejected

    def __len__(self) -> int:
        return len(self._admitted_by)
