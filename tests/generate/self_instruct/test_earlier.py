"""What earlier builds hand to the next: its sampling, its pool, its screen."""

import pytest

from pipeline.curate.config import CurateConfig
from pipeline.curate.curator import Curator
from pipeline.generate.self_instruct.batch import SelfInstructRun
from pipeline.generate.self_instruct.config import GenerateConfig
from pipeline.generate.self_instruct.earlier import (
    FIRST_BUILD,
    SAMPLES_PER_BUILD,
    EarlierBuilds,
    EarlierInstruction,
)
from pipeline.generate.self_instruct.loop import run_self_instruct
from pipeline.generate.self_instruct.plan import plan_instruction_prompts
from pipeline.llm import step
from pipeline.llm.config import LLMConfig
from tests.generate.self_instruct.fake_llm import ORDINARY, FakeLLM
from tests.generate.self_instruct.test_loop import ENDPOINT, SEEDS

POOL = [f"Write a short note about topic number {i} for a newsletter." for i in range(10)]


def test_the_first_build_samples_as_a_single_run_always_has() -> None:
    config = GenerateConfig()
    assert plan_instruction_prompts(SEEDS, POOL, 3, config, 2) == plan_instruction_prompts(
        SEEDS, POOL, 3, config, 2, FIRST_BUILD
    )


def test_each_build_number_asks_other_questions_and_a_rerun_the_same() -> None:
    config = GenerateConfig()
    first = plan_instruction_prompts(SEEDS, POOL, 0, config, 4)
    second = plan_instruction_prompts(SEEDS, POOL, 0, config, 4, EarlierBuilds(number=2))
    again = plan_instruction_prompts(SEEDS, POOL, 0, config, 4, EarlierBuilds(number=2))
    assert second == again
    assert [p.examples for p in first] != [p.examples for p in second]
    assert [p.sample_index for p in first] == [0, 1, 2, 3]
    assert [p.sample_index for p in second] == [SAMPLES_PER_BUILD + i for i in range(4)]


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeLLM:
    llm = FakeLLM()
    monkeypatch.setattr(step, "run_requests", llm)
    return llm


def test_the_pool_starts_with_earlier_instructions_and_the_screen_knows_them(fake: FakeLLM) -> None:
    earlier = EarlierBuilds(
        number=2,
        pool=tuple(POOL),
        instructions=(EarlierInstruction("earlier-record", ORDINARY[0]),),
    )
    run = SelfInstructRun(
        SEEDS,
        GenerateConfig(target=4, max_requests=40),
        LLMConfig(concurrency=1),
        ENDPOINT,
        None,
        "b2",
        earlier=earlier,
    )
    curator = Curator(CurateConfig())
    curator.add_seeds(SEEDS)
    result = run_self_instruct(run, curator)
    assert result.pool[: len(POOL)] == POOL and result.counts["pool_from_earlier_builds"] == len(POOL)
    first_prompt = fake.asked[0].messages[-1]["content"]
    assert any(task in first_prompt for task in POOL)  # machine tasks from the first batch on
    again = [r for r in result.rejected if r.evidence.get("partner_id") == "earlier-record"]
    assert again and again[0].step == "instruction_exact"
    assert ORDINARY[0] not in {r.instruction for r in result.kept}
