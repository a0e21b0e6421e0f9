from pipeline.curate.config import CurateConfig
from pipeline.curate.curator import Curator
from pipeline.dataset.decontaminate import decontaminate_heldout, find_contamination
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


def test_near_and_exact_duplicates_are_dropped_with_evidence() -> None:
    heldout = [
        record("WRITE a short  poem about the sea at night."),  # exact after normalisation
        record("Write a short poem about the sea at dawn."),  # ROUGE-L 0.875 > 0.7
        record("把下面的句子翻译成英文。", "今天天气很好啊。"),  # CJK near-duplicate
        record("Explain how a bicycle gear works."),  # novel
    ]
    clean, hits = decontaminate_heldout(TRAIN, heldout, CurateConfig())
    assert [r.instruction for r in clean] == ["Explain how a bicycle gear works."]
    by_item = {hit.item_id: hit for hit in hits}
    assert by_item[heldout[0].id].rule == "exact" and by_item[heldout[0].id].partner_id == TRAIN[0].id
    assert by_item[heldout[1].id].rule == "rouge_l" and 0.7 < by_item[heldout[1].id].score < 1
    assert by_item[heldout[2].id].partner_id == TRAIN[2].id


def test_threshold_and_compared_text_follow_the_curation_config() -> None:
    heldout = [record("Write a short poem about the sea at dawn.")]
    assert not decontaminate_heldout(TRAIN, heldout, CurateConfig(rouge_threshold=0.9))[1]
    same_instruction = [record("List three uses of baking soda in the kitchen.", "for cleaning")]
    assert decontaminate_heldout(TRAIN, same_instruction, CurateConfig(compare="instruction"))[1]
    assert not find_contamination([("a", "alpha beta")], [("b", "gamma delta")], 0.7)


def test_agrees_with_curation_on_what_is_a_near_duplicate() -> None:
    candidates = TRAIN + [
        record("Write a short poem about the sea at dawn."),
        record("Describe the water cycle for a child."),
    ]
    curator = Curator(CurateConfig())
    kept = curator.consider(candidates).kept
    # what curation kept is pairwise clean, so a split of it never drops anything
    split = split_decontaminated(kept, 0.5, 1)
    assert not split.contaminated and len(split.train) + len(split.heldout) == len(kept)
    # records that bypassed curation are caught, with the split's deterministic order kept
    split = split_decontaminated(candidates + [record("Write a short poem about the sea.")], 0.5, 3)
    assert split.contaminated
    for hit in split.contaminated:
        assert hit.item_id not in {r.id for r in split.heldout}
    train, heldout = split_heldout(candidates, 0.5, 3)
    assert {r.id for r in heldout} == {r.id for r in split_decontaminated(candidates, 0.5, 3).heldout}
