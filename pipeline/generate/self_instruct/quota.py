"""Per-category caps on the records one build accepts (`generate.category_quota`, e.g. the size
study's suggestion). Categories the quota does not name are uncapped.

Three places use it, each from the room left at the start of a batch (the cap minus the
records this build already accepted in that category):
- the plan: with seeds that name categories, each prompt shows seeds of one category with room
  (`plan.py`), so most new tasks are born in a category that can still take them;
- the batch: a task whose category is full is dropped before its instances are paid for
  (step `instruction_quota`; a batch lets through at most `room` tasks of a category). The
  screen has already seen its instruction, so a near-copy proposed later is screened out as a
  duplicate (it would fall in the same full category);
- the loop: a record whose category filled up meanwhile is not accepted (step
  `category_quota`), so a cap is never exceeded.
Every drop is a rejection with reason `category_quota_full` and the numbers as evidence. The run
stops (`quota_filled`) once every configured category is capped and full; while any category is
uncapped (or, with `categorize: false`, a record may carry none) it runs to its target or its
request cap as before."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from pipeline.generate.self_instruct.config import GenerateConfig
from pipeline.generate.self_instruct.screen import STEP_PREFIX
from pipeline.generate.self_instruct.steps import SELF_INSTRUCT_GENERATOR, NewTask
from pipeline.records import AlpacaRecord, Lineage, RejectedRecord

QUOTA_FULL = "category_quota_full"
TASK_STEP = STEP_PREFIX + "quota"  # counted with the tasks rejected before their instances
RECORD_STEP = "category_quota"

Room = dict[str, int]  # capped category -> records it can still accept


def quota_room(config: GenerateConfig, kept: Sequence[AlpacaRecord]) -> Room | None:
    """What each capped category can still accept; None when the build has no quota."""
    if config.category_quota is None:
        return None
    accepted = Counter(record.lineage.category for record in kept)
    return {name: max(0, cap - accepted[name]) for name, cap in config.category_quota.items()}


def open_categories(config: GenerateConfig, room: Room | None) -> list[str] | None:
    """The configured categories that can still take records (uncapped, or capped with room),
    for steering prompts; None without a quota (prompts are not steered)."""
    if room is None:
        return None
    return [name for name in config.categories if room.get(name, 1) > 0]


def quota_filled(config: GenerateConfig, room: Room | None) -> bool:
    """Nothing more can be accepted: every category capped and full, and every record gets a
    category (with `categorize: false` a record may carry none, which no quota caps)."""
    return (
        room is not None
        and config.categorize
        and all(name in room and room[name] <= 0 for name in config.categories)
    )


def _evidence(category: str, config: GenerateConfig, room: Room) -> dict[str, object]:
    quota = config.category_quota or {}
    return {"category": category, "quota": quota[category], "room_at_batch_start": room[category]}


def within_quota(
    tasks: list[NewTask], room: Room | None, config: GenerateConfig
) -> tuple[list[NewTask], list[RejectedRecord]]:
    """The tasks whose category has room (a task counts as one record against it: the instances
    it brings may not all survive curation), and the rest as rejections."""
    if room is None:
        return tasks, []
    left = dict(room)
    kept: list[NewTask] = []
    dropped: list[RejectedRecord] = []
    for task in tasks:
        name = task.category
        if name is None or name not in left:
            kept.append(task)
        elif left[name] > 0:
            left[name] -= 1
            kept.append(task)
        else:
            probe = AlpacaRecord(
                instruction=task.instruction,
                output="",
                lineage=Lineage(
                    generator=SELF_INSTRUCT_GENERATOR,
                    seed_ids=task.seed_ids,
                    language=config.language,
                    category=name,
                    category_source=task.category_source,
                ),
            )
            dropped.append(
                RejectedRecord(
                    record=probe.model_dump(mode="json"),
                    step=TASK_STEP,
                    reason=QUOTA_FULL,
                    evidence=_evidence(name, config, room),
                )
            )
    return kept, dropped


class QuotaGate:
    """The loop's last check, record by record: `refuse` a record whose category is full,
    `take` one that was accepted."""

    def __init__(self, config: GenerateConfig, kept: Sequence[AlpacaRecord]):
        self.config = config
        self.room = quota_room(config, kept)
        self.left = dict(self.room) if self.room is not None else None

    def refuse(self, record: AlpacaRecord) -> RejectedRecord | None:
        name = record.lineage.category
        if self.left is None or self.room is None or name is None or self.left.get(name, 1) > 0:
            return None
        return RejectedRecord(
            record=record.model_dump(mode="json"),
            step=RECORD_STEP,
            reason=QUOTA_FULL,
            evidence=_evidence(name, self.config, self.room),
        )

    def take(self, record: AlpacaRecord) -> None:
        name = record.lineage.category
        if self.left is not None and name in self.left:
            self.left[name] -= 1
