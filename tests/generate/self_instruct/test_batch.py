"""One self-instruct batch (`batch.py`): after admission, each step is one call for every task
(per-task steps were measured slower), online and with the Batch API alike."""

from __future__ import annotations

import json

import pytest

from pipeline.generate.self_instruct.batch import SelfInstructRun, generate_batch
from pipeline.generate.self_instruct.config import GenerateConfig
from pipeline.generate.self_instruct.seeds import load_seed_tasks
from pipeline.llm import step
from pipeline.llm.config import LLMConfig
from pipeline.llm.endpoint import Endpoint
from pipeline.settings import SEEDS_DIR
from tests.generate.self_instruct.fake_llm import CLASSIFYING, ORDINARY, FakeLLM, kind_of

# seeds without categories, so the category is asked
SEEDS = [
    seed.model_copy(update={"category": None}) for seed in load_seed_tasks(SEEDS_DIR / "seed_tasks_en.jsonl")
]
ENDPOINT = Endpoint("http://127.0.0.1:9/v1", "not-needed", "fake-model", False)
TASKS = [ORDINARY[0], CLASSIFYING[0], ORDINARY[1], CLASSIFYING[1], ORDINARY[2]]


class CountingLLM(FakeLLM):
    def __init__(self) -> None:
        super().__init__(instructions=lambda call, request: json.dumps({"instructions": TASKS}))
        self.calls: list[tuple[str, int]] = []  # (step, requests) per call

    def __call__(self, endpoint, config, journal, requests):  # type: ignore[no-untyped-def]
        self.calls.append((kind_of(requests[0]), len(requests)))
        return super().__call__(endpoint, config, journal, requests)


@pytest.mark.parametrize("mode", ["online", "batch"])
def test_each_step_is_one_call_for_every_task(monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    llm = CountingLLM()
    monkeypatch.setattr(step, "run_requests", llm)
    llm_config = LLMConfig(concurrency=1, mode=mode)  # type: ignore[arg-type]
    run = SelfInstructRun(SEEDS, GenerateConfig(), llm_config, ENDPOINT, None, "b")  # type: ignore[arg-type]
    outcome = generate_batch(run, [], 0)
    assert llm.calls == [("instructions", 1), ("categorize", 5), ("classify", 5), ("instances", 5)]
    assert [r.instruction for r in outcome.records] == [task for task in TASKS for _ in range(2)]
