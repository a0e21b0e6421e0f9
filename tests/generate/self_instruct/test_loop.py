import json

import pytest

from pipeline.curate.config import CurateConfig
from pipeline.curate.curator import Curator
from pipeline.generate.self_instruct.batch import SelfInstructRun, generate_batch
from pipeline.generate.self_instruct.config import GenerateConfig
from pipeline.generate.self_instruct.loop import run_self_instruct
from pipeline.generate.self_instruct.report import generation_report
from pipeline.generate.self_instruct.screen import InstructionScreen
from pipeline.generate.self_instruct.seeds import load_seed_tasks
from pipeline.llm import step
from pipeline.llm.config import LLMConfig
from pipeline.llm.endpoint import Endpoint
from pipeline.settings import SEEDS_DIR
from tests.generate.self_instruct.fake_llm import ORDINARY, FakeLLM

SEEDS = load_seed_tasks(SEEDS_DIR / "seed_tasks_en.jsonl")
ENDPOINT = Endpoint("http://127.0.0.1:9/v1", "not-needed", "fake-model", False)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeLLM:
    llm = FakeLLM()
    monkeypatch.setattr(step, "run_requests", llm)
    return llm


def context(config: GenerateConfig, llm: LLMConfig | None = None, **kwargs) -> SelfInstructRun:
    return SelfInstructRun(
        SEEDS, config, llm or LLMConfig(concurrency=1), ENDPOINT, None, "test-build", **kwargs
    )


def run(config: GenerateConfig, llm: LLMConfig | None = None, **kwargs):
    curator = Curator(CurateConfig())
    curator.add_seeds(SEEDS)
    return run_self_instruct(context(config, llm), curator, **kwargs)


def test_loop_reaches_target_with_lineage_and_classification_aware_instances(fake: FakeLLM) -> None:
    result = run(GenerateConfig(target=6, max_requests=100))
    assert result.stop_reason == "target_reached" and len(result.kept) == 6
    assert fake.count("classify") == fake.count("instances") + fake.count("class_instances")
    assert fake.count("class_instances") >= 1
    for record in result.kept:
        lineage = record.lineage
        assert lineage.generator == "self_instruct" and lineage.build == "test-build"
        assert lineage.model == "fake-model" and lineage.language == "en"
        assert lineage.template_version.startswith(
            "self_instruct_instructions_en@2+self_instruct_categorize_en@1+self_instruct_classify_en@1+"
        )
        assert lineage.category_source == "classifier"
        assert lineage.category == (
            "classification" if record.instruction.startswith("Classify") else "brainstorming"
        )
        assert lineage.request_key and len(lineage.seed_ids) == 6
        assert all(seed_id.startswith("en_seed_") for seed_id in lineage.seed_ids)
    classified = [r for r in result.kept if r.instruction.startswith("Classify")]
    assert classified and all(r.output in ("Positive", "Negative") for r in classified)
    assert all(r.lineage.template == "self_instruct_class_instances_en" for r in classified)
    ordinary = [r for r in result.kept if not r.instruction.startswith("Classify")]
    assert any(r.input == "" for r in ordinary)  # "<noinput>" became the empty input


def test_label_first_and_input_first_schemas_are_sent(fake: FakeLLM) -> None:
    run(GenerateConfig(target=2, max_requests=40))
    for request in fake.asked:
        if request.json_schema and "instances" in request.json_schema["properties"]:
            item = request.json_schema["properties"]["instances"]["items"]["properties"]
            expected = (
                ["class_label", "input"]
                if "class_instances" in request.template_version
                else ["input", "output"]
            )
            assert list(item) == expected


def test_accepted_instructions_join_the_pool_shown_in_later_prompts(fake: FakeLLM) -> None:
    result = run(GenerateConfig(target=12, max_requests=200, seeds_per_prompt=6, machine_per_prompt=2))
    assert len(result.pool) >= 2
    later = [r for r in fake.asked if "instructions" in r.template_version][1:]
    shown = "\n".join(r.messages[-1]["content"] for r in later)
    assert any(instruction in shown for instruction in result.pool)
    for request in later:
        examples = [line for line in request.messages[-1]["content"].splitlines() if line[:1].isdigit()]
        assert len(examples) == 8  # 6 human seeds + 2 machine tasks


def test_alpaca_style_three_seeds_twenty_tasks(fake: FakeLLM) -> None:
    run(
        GenerateConfig(
            target=2, max_requests=60, seeds_per_prompt=3, machine_per_prompt=0, tasks_per_request=20
        )
    )
    first = fake.asked[0]
    examples = [line for line in first.messages[-1]["content"].splitlines() if line[:1].isdigit()]
    assert len(examples) == 3
    assert first.json_schema["properties"]["instructions"]["maxItems"] == 20
    assert "20" in first.messages[0]["content"]


def test_repeated_instructions_are_screened_before_instances_are_paid_for(fake: FakeLLM) -> None:
    fake.instructions = lambda call, request: json.dumps(
        {
            "instructions": [
                "Explain how volcanoes form to a ten-year-old child.",
                "Explain how volcanoes form to a ten year old child!",
                SEEDS[0].instruction,
            ]
        }
    )
    result = run(GenerateConfig(target=5, max_requests=20))
    reasons = result.rejected_by_reason()
    assert reasons["exact_duplicate"] >= 1  # the seed, and the same task asked again
    assert reasons["rouge_novelty"] >= 1  # the near-copy
    assert fake.count("instances") + fake.count("class_instances") == 1  # one task ever admitted
    assert result.stop_reason == "max_requests"
    assert all(r.step.startswith("instruction_") for r in result.rejected)


def test_request_budget_is_never_overshot(fake: FakeLLM) -> None:
    result = run(GenerateConfig(target=50, max_requests=9))
    assert result.stop_reason == "max_requests"
    assert len(fake.asked) == result.requests <= 9


def test_llm_budget_exhaustion_stops_the_loop(fake: FakeLLM) -> None:
    fake.budget_after = 3
    result = run(GenerateConfig(target=50, max_requests=100))
    assert result.stop_reason == "budget_exhausted"


def test_a_retried_batch_is_not_rejected_as_a_duplicate_of_itself(fake: FakeLLM) -> None:
    config = GenerateConfig(target=5)
    batch_context = context(config, screen=InstructionScreen(CurateConfig(), SEEDS, "en"))
    first = generate_batch(batch_context, [], 0)
    fake.asked.clear()
    again = generate_batch(batch_context, [], 0)
    assert first.counts["instructions_admitted"] == again.counts["instructions_admitted"] == 2
    assert not again.rejected
    later = generate_batch(batch_context, [], 1)
    assert later.counts["instructions_admitted"] == 2  # batch 1 proposes other topics


def test_text_format_sends_no_schema_and_parses_numbered_lists(fake: FakeLLM) -> None:
    fake.instructions = lambda call, request: (
        f"Sure! Here are tasks:\n1. {ORDINARY[call % 12]}\n2. 2. {ORDINARY[(call + 6) % 12]}\n3. Write a"
    )
    original = fake.answer

    def text_answers(call, request):
        if "classify" in request.template_version:
            return "No", "stop"
        if "instances" in request.template_version:
            return f"Example 1\nInput: <noinput>\nOutput: A clear answer number {call}.", "stop"
        return original(call, request)

    fake.answer = text_answers
    result = run(GenerateConfig(target=3, max_requests=60, answer_format="text"))
    assert all(request.json_schema is None for request in fake.asked)
    assert len(result.kept) == 3
    assert {r.input for r in result.kept} == {""}


def test_report_counts_requests_failures_and_rejections(fake: FakeLLM) -> None:
    fake.instructions = lambda call, request: (
        "I cannot think of any." if call == 0 else json.dumps({"instructions": [ORDINARY[call % 12]]})
    )
    result = run(GenerateConfig(target=2, max_requests=60))
    report = generation_report(
        result,
        target=2,
        language="en",
        seeds="s.jsonl",
        n_seeds=len(SEEDS),
        model="fake-model",
        templates="t",
    )
    assert report["parse_failures"] == {"instructions:unparseable_response": 1}
    assert report["requests"]["total"] == len(fake.asked)
    assert report["requests"]["instructions"] == fake.count("instructions")
    assert report["accepted"] == 2 and report["acceptance_rate"] > 0
    assert report["seconds_per_accepted"] is not None
    json.dumps(report)  # JSON-ready


def test_unknown_language_fails_before_any_request(fake: FakeLLM) -> None:
    from pipeline.errors import SeedforgeError

    config = GenerateConfig(target=2).model_copy(update={"language": "fr"})
    with pytest.raises(SeedforgeError, match="unknown language 'fr'"):
        run(config)
    assert not fake.asked


def test_an_endpoint_refusing_schemas_falls_back_to_numbered_text(fake: FakeLLM) -> None:
    def refuse_schemas(call, request):
        if request.json_schema is not None:
            return None, None
        if "instructions" in request.template_version:
            return f"1. {ORDINARY[call % 12]}\n2. {ORDINARY[(call + 6) % 12]}", "stop"
        if "classify" in request.template_version:
            return "No", "stop"
        return f"Example 1\nInput: <noinput>\nOutput: Answer number {call}.", "stop"

    fake.answer = refuse_schemas
    fake.refusal_reason = "http_500"
    result = run(GenerateConfig(target=3, max_requests=60))
    assert result.counts["fallback_to_text"] == 1
    assert len(result.kept) == 3
    assert fake.asked[0].json_schema is not None and fake.asked[-1].json_schema is None


def test_a_scorer_drops_records_and_the_target_counts_those_it_keeps(fake: FakeLLM) -> None:
    from pipeline.records import AlpacaRecord, RejectedRecord

    seen: list[str] = []

    def every_other(records: list[AlpacaRecord]) -> tuple[list[AlpacaRecord], list[RejectedRecord]]:
        kept, rejected = [], []
        for record in records:
            seen.append(record.id)
            if len(seen) % 2:
                rejected.append(
                    RejectedRecord(
                        record=record.model_dump(mode="json"), step="score", reason="low_quality_score"
                    )
                )
            else:
                kept.append(record)
        return kept, rejected

    result = run(GenerateConfig(target=6, max_requests=100), scorer=every_other)
    dropped = [r.record["id"] for r in result.rejected if r.step == "score"]
    assert len(result.kept) == 6 and dropped and not {r.id for r in result.kept} & set(dropped)
