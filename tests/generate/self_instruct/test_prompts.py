import pytest

from pipeline.errors import SeedforgeError
from pipeline.generate.self_instruct.config import GenerateConfig
from pipeline.generate.self_instruct.plan import plan_instruction_prompts
from pipeline.generate.self_instruct.prompts import (
    class_instances_schema,
    instances_schema,
    instructions_schema,
    render_classify_prompt,
    render_instances_prompt,
    render_instructions_prompt,
)
from pipeline.generate.self_instruct.seeds import load_seed_tasks
from pipeline.generate.self_instruct.steps import InstructionsStep
from pipeline.generate.self_instruct.templates import template_set
from pipeline.settings import SEEDS_DIR

# Changing what a template says without bumping its version would mix two prompts under one
# lineage tag and one journal key. When a template changes on purpose, bump its version and
# update its fingerprint here.
FINGERPRINTS = {
    "self_instruct_instructions_en@2": "b9d42af101ae",
    "self_instruct_classify_en@1": "c7d3813a7d99",
    "self_instruct_instances_en@1": "bf4b40643697",
    "self_instruct_class_instances_en@1": "16b8e2b82e68",
    "self_instruct_categorize_en@1": "3eb57a1dbb63",
    "self_instruct_instructions_zh@2": "6e43b079fd00",
    "self_instruct_classify_zh@1": "4ebd0ae76edc",
    "self_instruct_instances_zh@1": "b4a0517d11fd",
    "self_instruct_class_instances_zh@1": "4888d441f115",
    "self_instruct_categorize_zh@1": "e71ef8ee117c",
}


def plan_instruction_requests(seeds, pool, batch_index, config, templates, size):
    prompts = plan_instruction_prompts(seeds, pool, batch_index, config, size)
    return InstructionsStep(config, templates).requests(prompts)


def test_every_template_change_bumps_its_version() -> None:
    seen = {t.tag: t.fingerprint() for lang in ("en", "zh") for t in template_set(lang).all()}
    assert seen == FINGERPRINTS


def test_unknown_language_is_an_error() -> None:
    with pytest.raises(SeedforgeError, match="unknown language 'fr'; known: en, zh"):
        template_set("fr")


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_instruction_prompt_lists_examples_and_asks_for_n(fmt: str) -> None:
    template = template_set("en").instructions
    messages = render_instructions_prompt(template, ["Name a colour.", "  Add 2\nand 3. "], 7, fmt)
    assert [m["role"] for m in messages] == ["system", "user"]
    assert "1. Name a colour.\n2. Add 2 and 3." in messages[1]["content"]
    assert "Write 7 new tasks" in messages[1]["content"]
    assert ('"instructions"' in messages[0]["content"]) == (fmt == "json")
    assert ("numbered list" in messages[0]["content"]) == (fmt == "text")


def test_worked_examples_are_earlier_turns_in_the_prompt_language() -> None:
    zh = template_set("zh")
    text = render_instances_prompt(zh.class_instances, "判断情感是积极还是消极。", 2, "text")
    assert [m["role"] for m in text] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert text[2]["content"].startswith("类别标签：疑问句\n输入：")
    assert text[-1]["content"] == "任务：判断情感是积极还是消极。\n请写2个不同的示例。"
    as_json = render_instances_prompt(zh.instances, "写一首诗。", 3, "json")
    assert as_json[2]["content"].startswith('{"instances": [{"input": "25摄氏度"')
    assert "<无输入>" in as_json[4]["content"]
    classify = render_classify_prompt(template_set("en").classify, "Tell a joke.", "text")
    assert {m["content"] for m in classify if m["role"] == "assistant"} == {"Yes", "No"}
    assert classify[-1]["content"] == "Task: Tell a joke.\nIs it classification?"


def test_schemas_fix_generation_order_and_bound_the_answer() -> None:
    items = instances_schema(3)["properties"]["instances"]
    assert list(items["items"]["properties"]) == ["input", "output"] and items["maxItems"] == 3
    labelled = class_instances_schema(2)["properties"]["instances"]["items"]
    assert list(labelled["properties"]) == ["class_label", "input"]  # label first
    listed = instructions_schema(20)["properties"]["instructions"]
    assert listed["maxItems"] == 20 and listed["items"]["maxLength"] == 300


def test_planned_requests_are_deterministic_and_mix_seeds_with_the_pool() -> None:
    seeds = load_seed_tasks(SEEDS_DIR / "seed_tasks_en.jsonl")
    pool = ["Machine task one about kites.", "Machine task two about sundials.", "Third pool task."]
    config = GenerateConfig(seeds_per_prompt=6, machine_per_prompt=2, tasks_per_request=8)
    templates = template_set("en")
    first = plan_instruction_requests(seeds, pool, 3, config, templates, 2)
    again = plan_instruction_requests(seeds, pool, 3, config, templates, 2)
    assert [r.messages for r in first] == [r.messages for r in again]
    assert [r.sample_index for r in first] == [6, 7]  # a fresh sampling seed per prompt
    for request in first:
        body = request.messages[-1]["content"]
        assert sum(line[:1].isdigit() for line in body.splitlines()) == 8
        assert sum(text in body for text in pool) == 2
        assert len(request.tag.split(",")) == 6
        assert request.template_version == "self_instruct_instructions_en@2"
    other = plan_instruction_requests(seeds, pool, 4, config, templates, 2)
    assert other[0].messages != first[0].messages
