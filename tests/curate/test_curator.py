from pipeline.config import CurateConfig
from pipeline.curate.curator import Curator
from pipeline.curate.dedup import exact_key
from pipeline.records import AlpacaRecord, Lineage, SeedTask


def rec(instruction: str, output: str = "A fine answer.", language: str = "en", **kw) -> AlpacaRecord:
    return AlpacaRecord(instruction=instruction, output=output,
                        lineage=Lineage(generator="test", language=language, **kw))


def reasons(curator: Curator, records: list[AlpacaRecord]) -> list[str | None]:
    out = []
    for record in records:
        rejected = curator.consider_one(record)
        out.append(rejected.reason if rejected else None)
    return out


def test_english_filters() -> None:
    curator = Curator(CurateConfig())
    got = reasons(curator, [
        rec("Name three rivers in Europe."),
        rec("Say hi."),
        rec("Describe the image below in detail please."),
        rec("Draw a cat with a hat on it."),
        rec("- List some fruits for a picnic."),
        rec("Write a program that sorts numbers quickly."),
        rec("Ask ChatGPT to explain quantum physics."),
        rec("Explain how tides work on the coast.", output=""),
        rec("Explain how rainbows form after rain.", output="Explain how rainbows form after rain."),
        rec("Summarise the main causes of inflation.", finish_reason="length"),
    ])
    assert got == [None, "too_short", "blacklist:image", "blacklist:draw", "starts_with_punctuation",
                   "write_a_program", "mentions_ai", "empty_output", "output_equals_instruction",
                   "truncated_output"]


def test_word_boundary_blacklist_does_not_hit_inside_words() -> None:
    curator = Curator(CurateConfig())
    assert reasons(curator, [rec("Explain why a profile matters for remapping roads.")]) == [None]


def test_chinese_filters() -> None:
    curator = Curator(CurateConfig())
    got = reasons(curator, [
        rec("请解释光合作用的基本原理。", language="zh"),
        rec("描述这张图片里的内容。", language="zh"),
        rec("你好", language="zh"),
        rec("请问ChatGPT是什么？", language="zh"),
    ])
    assert got == [None, "blacklist:图片", "too_short", "mentions_ai"]


def test_exact_and_novelty_with_evidence_and_seeds() -> None:
    curator = Curator(CurateConfig())
    curator.add_seeds([SeedTask(id="seed1", name="s", instruction="Write a short poem about the sea.",
                                instances=[{"input": "", "output": "Waves..."}], is_classification=False)])
    first = rec("Explain how a bicycle gear works.")
    assert curator.consider_one(first) is None
    dup = curator.consider_one(rec("  EXPLAIN how a bicycle   gear works.", output="other"))
    assert dup.reason == "exact_duplicate" and dup.evidence["partner_id"] == first.id
    near = curator.consider_one(rec("Write a long and sad poem about the sea tonight."))
    assert near.reason == "rouge_novelty" and near.evidence["partner_id"] == "seed1"
    assert near.evidence["score"] > 0.7
    assert curator.counts["kept"] == 1


def test_full_width_and_case_fold_to_the_same_exact_key() -> None:
    assert exact_key("ＡＢＣ  Hello") == exact_key("abc hello")
