from pipeline.curate.config import CurateConfig
from pipeline.curate.curator import Curator
from pipeline.dataset.decontaminate import find_contamination, settle_heldout
from pipeline.dataset.versions import split_decontaminated, split_heldout
from pipeline.records import AlpacaRecord, Lineage


def record(instruction: str, input: str = "", output: str = "ok") -> AlpacaRecord:
    return AlpacaRecord(
        instruction=instruction, input=input, output=output, lineage=Lineage(generator="test")
    )


TRAIN = [
    record("Write a short poem about the sea at night."),
    record("List three uses of baking soda in the kitchen."),
    record("把下面的句子翻译成英文。", "今天天气很好。"),
]


def test_near_and_exact_duplicates_move_to_training_with_evidence() -> None:
    heldout = [
        record("WRITE a short  poem about the sea at night."),  # exact after normalisation
        record("Write a short poem about the sea at dawn."),  # ROUGE-L 0.875 > 0.7
        record("把下面的句子翻译成英文。", "今天天气很好啊。"),  # CJK near-duplicate
        record("Explain how a bicycle gear works."),  # novel
    ]
    staying, hits = settle_heldout(TRAIN, heldout, CurateConfig())
    assert [r.instruction for r in staying] == ["Explain how a bicycle gear works."]
    assert [hit.item_id for hit in hits] == [r.id for r in heldout[:3]]
    by_item = {hit.item_id: hit for hit in hits}
    assert by_item[heldout[0].id].rule == "exact" and by_item[heldout[0].id].partner_id == TRAIN[0].id
    assert by_item[heldout[1].id].rule == "rouge_l" and 0.7 < by_item[heldout[1].id].score < 1
    assert by_item[heldout[2].id].partner_id == TRAIN[2].id


def test_threshold_and_compared_text_follow_the_curation_config() -> None:
    heldout = [record("Write a short poem about the sea at dawn.")]
    assert not settle_heldout(TRAIN, heldout, CurateConfig(rouge_threshold=0.9))[1]
    same_instruction = [record("List three uses of baking soda in the kitchen.", "for cleaning")]
    assert settle_heldout(TRAIN, same_instruction, CurateConfig(compare="instruction"))[1]
    assert not find_contamination([("a", "alpha beta")], [("b", "gamma delta")], 0.7)


def test_agrees_with_curation_on_what_is_a_near_duplicate() -> None:
    candidates = TRAIN + [
        record("Write a short poem about the sea at dawn."),
        record("Describe the water cycle for a child."),
    ]
    curator = Curator(CurateConfig())
    kept = curator.consider(candidates).kept
    # what curation kept is pairwise clean, so a split of it never moves anything
    split = split_decontaminated(kept, 0.5, 1)
    assert not split.moved and len(split.train) + len(split.heldout) == len(kept)
    # records that bypassed curation are caught, with the split's deterministic order kept
    everything = candidates + [record("Write a short poem about the sea.")]
    split = split_decontaminated(everything, 0.5, 3)
    assert split.moved
    for hit in split.moved:
        assert hit.item_id not in {r.id for r in split.heldout}
        assert hit.item_id in {r.id for r in split.train}
    assert sorted(r.id for r in split.train + split.heldout) == sorted(r.id for r in everything)
    train, heldout = split_heldout(candidates, 0.5, 3)
    assert {r.id for r in heldout} == {r.id for r in split_decontaminated(candidates, 0.5, 3).heldout}


def test_instances_of_one_task_share_a_split_so_none_is_dropped() -> None:
    """Curation keeps several instances of one instruction (distinct inputs): their prompts are
    near each other, so one held out while another trains would be dropped. They split together."""
    tasks = [
        "Write a short poem about the sea at night.",
        "List three uses of baking soda in the kitchen.",
        "Explain how a bicycle gear works.",
        "Translate the sentence into French.",
        "Name the capital of the country.",
        "Sort the numbers from smallest to largest.",
    ]
    records = [record(task, f"case {k}") for task in tasks for k in range(3)]
    split = split_decontaminated(records, 0.3, 2)
    assert not split.moved
    assert len(split.train) + len(split.heldout) == len(records)
    held = {r.instruction for r in split.heldout}
    assert held and not held & {r.instruction for r in split.train}
    assert len(split.heldout) >= 0.3 * len(records)
    again = split_decontaminated(list(reversed(records)), 0.3, 2)
    assert {r.id for r in again.heldout} == {r.id for r in split.heldout}


def test_one_task_larger_than_the_room_is_split_and_its_near_instances_train() -> None:
    records = [record("Summarise the paragraph in one sentence.", f"paragraph {k}") for k in range(6)]
    split = split_decontaminated(records, 0.3, 2)
    assert len(split.train) + len(split.heldout) == 6  # nothing curation kept is lost
    assert split.moved and {hit.item_id for hit in split.moved} <= {r.id for r in split.train}
    assert [r.id for r in split.train] == [r.id for r in records if r not in split.heldout]  # file order
    for hit in split.moved:
        assert hit.partner_id in {r.id for r in split.train}
    assert not find_contamination(
        [(r.id, r.prompt_text) for r in split.train], [(r.id, r.prompt_text) for r in split.heldout], 0.7
    )


def test_a_pick_near_only_a_moved_record_moves_too() -> None:
    words = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november".split()
    a = record(" ".join(words[:10]))
    b = record(" ".join(words[:8] + ["kilo", "lima"]))  # 8 of 10 tokens in order with a: 0.8
    c = record(" ".join(words[:6] + ["kilo", "lima", "mike", "november"]))  # 0.8 with b, 0.6 with a
    staying, hits = settle_heldout([a], [b, c], CurateConfig())
    assert not staying
    assert [(hit.item_id, hit.partner_id) for hit in hits] == [(b.id, a.id), (c.id, b.id)]
