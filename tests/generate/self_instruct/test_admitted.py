"""What follows admission in a batch (`admitted.py`): category, quota, classification and
instances, each step one call for every task (online and with the Batch API), and records in
task order whichever answer comes first. A scripted async stand-in answers; it can hold an
answer back until something else has happened, so nothing here depends on timing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from pipeline.generate.self_instruct.batch import BatchOutcome, SelfInstructRun, generate_batch
from pipeline.generate.self_instruct.config import GenerateConfig
from pipeline.generate.self_instruct.seeds import load_seed_tasks
from pipeline.llm import step
from pipeline.llm.client import ChatRequest, ChatResult, LLMStats
from pipeline.llm.config import LLMConfig
from pipeline.llm.endpoint import Endpoint
from pipeline.settings import SEEDS_DIR
from tests.generate.self_instruct.fake_llm import CLASSIFYING, ORDINARY, FakeLLM, kind_of

SEEDS = [
    seed.model_copy(update={"category": None}) for seed in load_seed_tasks(SEEDS_DIR / "seed_tasks_en.jsonl")
]
ENDPOINT = Endpoint("http://127.0.0.1:9/v1", "not-needed", "fake-model", False)
TASKS = [ORDINARY[0], CLASSIFYING[0], ORDINARY[1], CLASSIFYING[1], ORDINARY[2]]


@dataclass
class HeldLLM(FakeLLM):
    """Answers as FakeLLM does, from the task alone (not from the order of asking), and holds
    an answer back while `holds[(step, task)]` says so (at most 5 s: then it answers anyway and
    notes that it had to)."""

    holds: dict[tuple[str, str], Callable[[HeldLLM], bool]] = field(default_factory=dict)
    log: list[tuple[str, str, str]] = field(default_factory=list)  # (asked|answered, step, task)
    calls: list[tuple[str, int]] = field(default_factory=list)  # (step, requests) per call
    gave_up: list[tuple[str, str]] = field(default_factory=list)

    def answered(self, kind: str, task: str) -> bool:
        kinds = ("instances", "class_instances") if kind == "instances" else (kind,)
        return any(("answered", name, task) in self.log for name in kinds)

    async def __call__(self, endpoint, config, journal, requests):  # type: ignore[no-untyped-def]
        self.calls.append((kind_of(requests[0]), len(requests)))
        return list(await asyncio.gather(*(self.one(request) for request in requests))), LLMStats()

    async def one(self, request: ChatRequest) -> ChatResult:
        kind, content = kind_of(request), request.messages[-1]["content"]
        task = next((name for name in TASKS if name in content), "")
        self.log.append(("asked", kind, task))
        hold = self.holds.get((kind, task))
        for _ in range(500):
            if hold is None or not hold(self):
                break
            await asyncio.sleep(0.01)
        else:
            self.gave_up.append((kind, task))
        self.asked.append(request)
        text, finish = self.answer(TASKS.index(task) if task else 0, request)
        self.log.append(("answered", kind, task))
        return ChatResult(request, f"k-{kind}-{task}", text, finish)


def propose_all(call: int, request: ChatRequest) -> str:
    return json.dumps({"instructions": TASKS})


def batch(
    llm: HeldLLM, monkeypatch: pytest.MonkeyPatch, *, mode: str = "online", **generate: object
) -> BatchOutcome:
    monkeypatch.setattr(step, "complete_requests", llm)
    llm.instructions = propose_all
    config = GenerateConfig(**generate)  # type: ignore[arg-type]
    room = dict(config.category_quota) if config.category_quota else None
    run = SelfInstructRun(SEEDS, config, LLMConfig(concurrency=1, mode=mode), ENDPOINT, None, "b")  # type: ignore[arg-type]
    return generate_batch(run, [], 0, quota_room=room)


def record_view(outcome: BatchOutcome) -> list[tuple[str, str, str, str | None]]:
    return [(r.instruction, r.input, r.output, r.lineage.category) for r in outcome.records]


def test_records_and_counts_come_back_in_task_order_whatever_answers_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    in_order = batch(HeldLLM(), monkeypatch)
    # the first task's instances answer last of all
    last = HeldLLM(
        holds={
            ("instances", TASKS[0]): lambda fake: not all(fake.answered("instances", t) for t in TASKS[1:])
        }
    )
    reordered = batch(last, monkeypatch)
    assert last.gave_up == []
    assert last.log.index(("answered", "instances", TASKS[0])) > last.log.index(
        ("answered", "instances", TASKS[-1])
    )
    assert record_view(reordered) == record_view(in_order)
    assert [r.instruction for r in reordered.records][:2] == [TASKS[0], TASKS[0]]
    assert reordered.counts == in_order.counts and reordered.failures == in_order.failures
    assert (
        reordered.usage.by_step
        == in_order.usage.by_step
        == {
            "instructions": 1,
            "categorize": 5,
            "classify": 5,
            "instances": 5,
        }
    )


@pytest.mark.parametrize("mode", ["online", "batch"])
def test_each_step_is_one_call_for_every_task(monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    # per-task steps were measured slower (admitted.py): a step stays one call
    llm = HeldLLM()
    outcome = batch(llm, monkeypatch, mode=mode)
    assert llm.calls == [("instructions", 1), ("categorize", 5), ("classify", 5), ("instances", 5)]
    assert len(outcome.records) == 2 * len(TASKS)
