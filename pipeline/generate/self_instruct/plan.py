"""Which examples each new-instructions prompt shows: k human seeds and m machine tasks of the
pool, sampled from a generator seeded by the build number and the batch index (`earlier.py`),
so a rerun of a build shows the same examples (and the journal replays its answers) and the
next build shows others. A category quota steers the sampling: each prompt's seeds then come
from one category that still has room, and the tasks it yields take that category."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.generate.self_instruct.config import GenerateConfig
from pipeline.generate.self_instruct.earlier import FIRST_BUILD, EarlierBuilds
from pipeline.records import SeedTask


@dataclass(frozen=True)
class InstructionPrompt:
    """One request for new instructions: the examples it shows (seed and pool tasks, shuffled)
    and the seeds among them, which every task it yields names in its lineage; `category`: the
    one category all those seeds name, which the tasks it yields take."""

    examples: list[str]
    seed_ids: list[str]
    sample_index: int
    category: str | None = None


def shared_category(seeds: Sequence[SeedTask], categories: list[str]) -> str | None:
    """The one category every seed names, when it is a configured one; else None (seeds of
    several categories, a seed without one, or a category this build does not use)."""
    named = {seed.category for seed in seeds}
    category = named.pop() if len(named) == 1 else None
    return category if category in categories else None


def _sample_seeds(
    rng: random.Random, seeds: list[SeedTask], count: int, steer: list[str] | None
) -> list[SeedTask]:
    """`count` seeds; when steered, all of one category drawn from `steer` (the categories with
    room) that has seeds, and from all seeds when none has."""
    if steer is not None:
        open_ = [name for name in steer if any(seed.category == name for seed in seeds)]
        if open_:
            chosen = rng.choice(open_)
            seeds = [seed for seed in seeds if seed.category == chosen]
    return rng.sample(seeds, min(count, len(seeds)))


def plan_instruction_prompts(
    seeds: list[SeedTask],
    pool: list[str],
    batch_index: int,
    config: GenerateConfig,
    size: int,
    earlier: EarlierBuilds = FIRST_BUILD,
    steer: list[str] | None = None,
) -> list[InstructionPrompt]:
    """`size` prompts, sampled from a generator seeded by the build number and the batch index:
    a rerun of the batch shows the same examples, so its requests (and journal keys) are the
    same; the same batch of the next build shows others, with other sample indexes. `steer`
    (a category quota's open categories) draws each prompt's seeds from one of them."""
    rng = random.Random(earlier.sampling_key(config.random_seed, batch_index))
    prompts = []
    for offset in range(size):
        sampled = _sample_seeds(rng, seeds, config.seeds_per_prompt, steer)
        machine = rng.sample(pool, min(config.machine_per_prompt, len(pool)))
        examples = [seed.instruction for seed in sampled] + machine
        rng.shuffle(examples)
        prompts.append(
            InstructionPrompt(
                examples,
                [seed.id for seed in sampled],
                earlier.sample_index(batch_index * size + offset),
                shared_category(sampled, config.categories),
            )
        )
    return prompts
