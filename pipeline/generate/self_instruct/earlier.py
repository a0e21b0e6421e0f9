"""What earlier builds of a dataset hand to the next one.

- The build's number among its dataset's builds decides the sampling: which seeds and pool
  tasks each prompt shows, and each prompt's sample index (part of the journal key, and the
  model's sampling seed). Build 2 asks other questions than build 1, so every scheduled build
  can add data; a resumed build keeps its number, asks the same questions again and replays
  their answers from the journal. The first build samples as a single run always has.
- The instructions earlier builds kept: the prompt pool starts with those of their training
  records (held-out items are never shown to the model), and new instructions are screened
  against all of them before their instances are paid for.

A plain `seedforge generate self-instruct` run is a first build with no history."""

from __future__ import annotations

from dataclasses import dataclass

# each build's sample indexes start at (number - 1) * SAMPLES_PER_BUILD, far from other builds'
SAMPLES_PER_BUILD = 1_000_000


@dataclass(frozen=True)
class EarlierInstruction:
    record_id: str  # the record that kept it: rejection evidence names it as the partner
    instruction: str


@dataclass(frozen=True)
class EarlierBuilds:
    number: int = 1  # this build's number within its dataset (1: the first)
    pool: tuple[str, ...] = ()  # prompt examples: instructions of earlier training records
    instructions: tuple[EarlierInstruction, ...] = ()  # every instruction earlier builds kept

    def sampling_key(self, random_seed: int, batch_index: int) -> str:
        """The seed of a batch's prompt sampler."""
        if self.number == 1:
            return f"{random_seed}:{batch_index}"
        return f"{random_seed}:build{self.number}:{batch_index}"

    def sample_index(self, index_in_build: int) -> int:
        return (self.number - 1) * SAMPLES_PER_BUILD + index_in_build


FIRST_BUILD = EarlierBuilds()
