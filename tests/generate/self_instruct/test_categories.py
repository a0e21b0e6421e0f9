"""Task categories in self-instruct: the categorisation step (enum schema, parsing, journal),
categories from seeds, per-category quotas (drops before instances, steering, the stop) and the
config's checks. The scripted `FakeLLM` answers; nothing talks to a model."""

import json
from collections import Counter
from pathlib import Path

import pytest
from pydantic import ValidationError

from pipeline.curate.config import CurateConfig
from pipeline.curate.curator import Curator
from pipeline.generate.self_instruct.batch import SelfInstructRun
from pipeline.generate.self_instruct.categorize import CategorizeStep, parse_category
from pipeline.generate.self_instruct.config import GenerateConfig
from pipeline.generate.self_instruct.loop import run_self_instruct
from pipeline.generate.self_instruct.plan import plan_instruction_prompts
from pipeline.generate.self_instruct.report import generation_report
from pipeline.generate.self_instruct.seeds import load_seed_tasks
from pipeline.generate.self_instruct.steps import NewTask
from pipeline.generate.self_instruct.templates import template_set
from pipeline.llm import step
from pipeline.llm.config import LLMConfig
from pipeline.llm.endpoint import Endpoint
from pipeline.llm.journal import Journal
from pipeline.llm.request import ChatRequest, ChatResult
from pipeline.llm.step import Rejection, StepRunner
from pipeline.records import SeedTask
from pipeline.settings import SEEDS_DIR
from tests.generate.self_instruct.fake_llm import ORDINARY, FakeLLM, kind_of
from tests.support.fault_server import FaultServer
from tests.support.llm_fixtures import FAST, endpoint_for

SEEDS = load_seed_tasks(SEEDS_DIR / "seed_tasks_en.jsonl")
CATEGORY_OF_SEED = {seed.id: seed.category for seed in SEEDS}
UNLABELLED = [seed.model_copy(update={"category": None}) for seed in SEEDS]
ENDPOINT = Endpoint("http://127.0.0.1:9/v1", "not-needed", "fake-model", False)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeLLM:
    llm = FakeLLM()
    monkeypatch.setattr(step, "run_requests", llm)
    return llm


def run(config: GenerateConfig, seeds: list[SeedTask] = SEEDS):
    curator = Curator(CurateConfig())
    curator.add_seeds(seeds)
    context = SelfInstructRun(seeds, config, LLMConfig(concurrency=1), ENDPOINT, None, "test-build")
    return run_self_instruct(context, curator)


def one_task_per_prompt(tasks: list[str]):
    """An instructions script that proposes the next task of `tasks` on every call."""
    calls = iter(tasks * 10)
    return lambda call, request: json.dumps({"instructions": [next(calls)]})


def answered(text: str | None, parsed=None, reason: str | None = None) -> ChatResult:
    result = ChatResult(ChatRequest(messages=[]), "k", text, "stop", parsed=parsed)
    result.reason = reason
    return result


# --- the step -------------------------------------------------------------------------------


def test_categorize_requests_one_configured_name_as_an_enum() -> None:
    config = GenerateConfig(categories=["Math", "code"])
    [request] = CategorizeStep(config, template_set("en")).requests([NewTask("Add 2 and 3.", [])])
    assert request.json_schema == {
        "type": "object",
        "properties": {"category": {"type": "string", "enum": ["math", "code", "other"]}},
        "required": ["category"],
    }
    assert request.template_version == "self_instruct_categorize_en@1"
    system = request.messages[0]["content"]
    assert (
        "- math: a calculation or math problem\n- code: writing, explaining or fixing program code" in system
    )
    assert "open_qa" not in system  # only the configured names
    assert [m["content"] for m in request.messages if m["role"] == "assistant"] == ['{"category": "math"}']
    assert request.messages[-1]["content"] == "Task: Add 2 and 3.\nWhich category?"


def test_text_format_sends_no_schema_and_shows_bare_names_in_chinese() -> None:
    config = GenerateConfig(answer_format="text", categories=["math", "poetry"])
    [request] = CategorizeStep(config, template_set("zh")).requests([NewTask("写一首诗。", [])])
    assert request.json_schema is None
    assert "- math：计算或数学题\n- poetry\n- other：" in request.messages[0]["content"]
    assert [m["content"] for m in request.messages if m["role"] == "assistant"] == ["math"]
    assert request.messages[-1]["content"] == "任务：写一首诗。\n哪一类？"


@pytest.mark.parametrize(
    "text, expected",
    [
        ('{"category": "math"}', "math"),
        ('{"category": "Extraction"}', "extract"),  # an alias, folded
        ("Math.", "math"),
        ("The category is: closed QA", "closed_qa"),
        ("它属于 translation 类。", "translation"),
        ('{"category": "poetry"}', None),  # not a configured name
        ("math or code, hard to say", None),  # two names
        ("No idea.", None),
    ],
)
def test_an_answer_names_one_configured_category_or_none(text: str, expected: str | None) -> None:
    assert parse_category(answered(text), GenerateConfig().categories) == expected


def test_an_unreadable_or_unanswered_question_is_a_rejection_with_its_reason() -> None:
    categorize = CategorizeStep(GenerateConfig(), template_set("en"))
    task = NewTask("Name a colour.", [])
    assert categorize.parse(task, answered('{"category": "math"}', parsed={"category": "math"})) == "math"
    unreadable = categorize.parse(task, answered("poetry, I think"))
    assert isinstance(unreadable, Rejection) and unreadable.reason == "unreadable"
    quarantined = categorize.parse(task, answered(None, reason="http_503"))
    assert isinstance(quarantined, Rejection) and quarantined.reason == "quarantined:http_503"


def test_answers_are_journaled_so_a_rerun_sends_nothing(tmp_path: Path) -> None:
    with (
        FaultServer(responder=lambda body: json.dumps({"category": "code"})) as server,
        Journal(tmp_path / "journal.sqlite3") as journal,
    ):
        endpoint = endpoint_for(server)
        llm = FAST.model_copy(update={"base_url": server.base_url, "max_tokens": 32})
        tasks = [NewTask("Write a Python function that adds two numbers.", []), NewTask("Sort a list.", [])]
        categorize = CategorizeStep(GenerateConfig(), template_set("en"))
        first = StepRunner(endpoint, llm, journal).run(categorize, tasks)
        rerun = StepRunner(endpoint, llm, journal)
        again = rerun.run(categorize, tasks)
    assert first.values() == again.values() == ["code", "code"]
    assert len(server.received) == 2  # the rerun was answered from the journal
    assert rerun.usage.journal_hits == 2 and rerun.usage.requests_sent == 0


# --- the loop: where a category comes from ---------------------------------------------------


def test_every_record_gets_a_category_and_an_unreadable_answer_files_it_under_other(fake: FakeLLM) -> None:
    fake.categories = {"haiku": "poetry"}  # not a configured category: unreadable
    fake.instructions = one_task_per_prompt(ORDINARY[:4])
    result = run(GenerateConfig(target=6, max_requests=100))
    assert len(result.kept) == 6
    by_instruction = {r.instruction: (r.lineage.category, r.lineage.category_source) for r in result.kept}
    assert by_instruction[ORDINARY[1]] == ("other", "classifier")
    assert by_instruction[ORDINARY[0]] == ("brainstorming", "classifier")
    assert result.failures["categorize:unreadable"] >= 1
    # one question per admitted task
    assert (
        fake.count("categorize")
        == result.counts["categories_asked"]
        == result.counts["instructions_admitted"]
    )


def test_tasks_from_seeds_of_one_category_take_it_without_asking(fake: FakeLLM) -> None:
    math_seeds = [seed for seed in SEEDS if seed.category == "math"]
    result = run(GenerateConfig(target=4, max_requests=60), seeds=math_seeds)
    assert len(result.kept) == 4 and fake.count("categorize") == 0
    assert {(r.lineage.category, r.lineage.category_source) for r in result.kept} == {("math", "seed")}
    assert all("categorize" not in r.lineage.template_version for r in result.kept)
    # a seed category the build does not use is no answer: the classifier is asked
    fake.asked.clear()
    other = run(GenerateConfig(target=2, max_requests=60, categories=["code"]), seeds=math_seeds)
    assert fake.count("categorize") >= 1 and {r.lineage.category_source for r in other.kept} == {"classifier"}


def test_without_categorize_a_record_has_a_category_only_from_its_seeds(fake: FakeLLM) -> None:
    result = run(GenerateConfig(target=3, max_requests=60, categorize=False))
    assert fake.count("categorize") == 0
    assert {(r.lineage.category, r.lineage.category_source) for r in result.kept} == {(None, None)}


# --- quotas ------------------------------------------------------------------------------------


def test_a_full_category_is_dropped_before_its_instances_and_the_cap_holds(fake: FakeLLM) -> None:
    """`Classify ...` tasks are classification; one record of it is allowed."""
    config = GenerateConfig(target=6, max_requests=200, category_quota={"classification": 1})
    result = run(config, seeds=UNLABELLED)
    categories = Counter(r.lineage.category for r in result.kept)
    assert categories["classification"] == 1 and result.stop_reason == "target_reached"
    # one classification task was paid for; every later one was dropped before its instances
    assert fake.count("class_instances") == 1
    dropped = [r for r in result.rejected if r.reason == "category_quota_full"]
    tasks = [r for r in dropped if r.step == "instruction_quota"]
    assert tasks and all(r.record["lineage"]["category"] == "classification" for r in tasks)
    assert tasks[0].evidence == {"category": "classification", "quota": 1, "room_at_batch_start": 0}
    # the paid task's second instance met the cap in the loop, not curation
    assert [r.step for r in dropped if r.step != "instruction_quota"] == ["category_quota"]


def test_a_quota_steers_every_prompt_to_seeds_of_one_open_category(fake: FakeLLM) -> None:
    closed = {"math": 0, "code": 0, "classification": 0}
    result = run(GenerateConfig(target=6, max_requests=100, category_quota=closed))
    prompts = [r for r in fake.asked if kind_of(r) == "instructions"]
    assert len(prompts) >= 2
    for prompt in prompts:
        shown = {CATEGORY_OF_SEED[seed_id] for seed_id in prompt.tag.split(",")}
        assert len(shown) == 1 and not shown & set(closed)
    assert fake.count("categorize") == 0  # every task took its prompt's category
    assert {r.lineage.category_source for r in result.kept} == {"seed"}
    assert not {r.lineage.category for r in result.kept} & set(closed)


def test_steering_draws_from_open_categories_and_falls_back_when_none_has_seeds() -> None:
    config = GenerateConfig(seeds_per_prompt=4)
    steered = plan_instruction_prompts(SEEDS, [], 0, config, 6, steer=["code", "poetry"])
    for prompt in steered:
        assert prompt.category == "code" and {CATEGORY_OF_SEED[s] for s in prompt.seed_ids} == {"code"}
    nothing_open = plan_instruction_prompts(SEEDS, [], 0, config, 6, steer=["poetry"])
    assert any(len({CATEGORY_OF_SEED[s] for s in prompt.seed_ids}) > 1 for prompt in nothing_open)
    # no quota, no steering: the same seeds as for seeds without categories
    unsteered = [p.seed_ids for p in plan_instruction_prompts(SEEDS, [], 0, config, 6)]
    assert unsteered == [p.seed_ids for p in plan_instruction_prompts(UNLABELLED, [], 0, config, 6)]


def test_the_run_stops_once_every_category_is_capped_and_full(fake: FakeLLM) -> None:
    fake.categories = {"volcanoes": "code", "haiku": "math", "chess": "code", "orchids": "math"}
    fake.instructions = one_task_per_prompt(ORDINARY[:6])  # the others fall under other
    config = GenerateConfig(
        target=50,
        max_requests=300,
        instances_per_task=1,
        categories=["math", "code"],
        category_quota={"math": 1, "code": 2, "other": 1},
    )
    result = run(config, seeds=UNLABELLED)
    assert result.stop_reason == "quota_filled" and result.requests < 300
    assert Counter(r.lineage.category for r in result.kept) == {"code": 2, "math": 1, "other": 1}
    report = generation_report(
        result, target=50, language="en", seeds="s", n_seeds=len(SEEDS), model="m", templates="t"
    )
    assert report["categories"]["accepted"] == {"code": 2, "math": 1, "other": 1}
    assert report["categories"]["sources"] == {"classifier": 4}


def test_without_a_quota_nothing_is_dropped_or_steered(fake: FakeLLM) -> None:
    result = run(GenerateConfig(target=6, max_requests=100))
    assert not [r for r in result.rejected if r.reason == "category_quota_full"]
    prompts = [r for r in fake.asked if kind_of(r) == "instructions"]
    assert any(len({CATEGORY_OF_SEED[s] for s in p.tag.split(",")}) > 1 for p in prompts)


# --- config ------------------------------------------------------------------------------------


def test_categories_are_canonical_and_always_hold_other() -> None:
    config = GenerateConfig(categories=["Open QA", "open-qa", "Maths"], category_quota={"OpenQA": 5})
    assert config.categories == ["open_qa", "math", "other"]
    assert config.category_quota == {"open_qa": 5}
    assert GenerateConfig().categories[-1] == "other" and len(GenerateConfig().categories) == 12


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"categories": []}, "needs at least one category"),
        ({"categories": ["math", " "]}, "a category name is empty"),
        ({"category_quota": {"poetry": 3}}, "names 'poetry', not in categories"),
        ({"categories": ["math"], "category_quota": {"code": 1}}, r"not in categories \(math, other\)"),
        ({"category_quota": {"Open QA": 1, "open_qa": 2}}, "names category 'open_qa' twice"),
        ({"category_quota": {"math": -1}}, "negative"),
    ],
)
def test_bad_category_settings_are_refused(fields: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        GenerateConfig(**fields)


def test_a_build_config_takes_a_quota_and_names_the_line_of_a_bad_one(tmp_path: Path) -> None:
    from pipeline.config import BuildConfig, load_config
    from pipeline.errors import SeedforgeError

    good = tmp_path / "good.yaml"
    good.write_text("name: q\ngenerate:\n  category_quota:\n    Maths: 0\n    code: 40\n", encoding="utf-8")
    assert load_config(good, BuildConfig).generate.category_quota == {"math": 0, "code": 40}
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: q\ngenerate:\n  target: 5\n  category_quota:\n    poetry: 3\n", encoding="utf-8")
    with pytest.raises(SeedforgeError, match="category_quota: .*names 'poetry', not in categories") as caught:
        load_config(bad, BuildConfig)
    assert caught.value.line == 4
