import pytest

from pipeline.curate.config import CurateConfig
from pipeline.curate.curator import Curator
from pipeline.curate.dedup import exact_key
from pipeline.records import SeedTask
from tests.curate.conftest import alpaca, dialogue


def reasons(curator: Curator, records) -> list[str | None]:
    out = []
    for record in records:
        rejected = curator.consider_one(record)
        out.append(rejected.reason if rejected else None)
    return out


def test_steps_run_in_order_and_each_names_its_reason() -> None:
    curator = Curator(CurateConfig())
    got = reasons(
        curator,
        [
            alpaca("Name three rivers in Europe."),
            alpaca("Say hi."),
            alpaca("Describe the image below in detail please."),
            alpaca("Explain how tides work on the coast.", output=""),
            alpaca("Explain how rainbows form after rain.", output="Explain how rainbows form after rain."),
            alpaca("Summarise the main causes of inflation.", finish_reason="length"),
            alpaca("  NAME three rivers in   Europe.", output="The Rhine, the Danube and the Seine."),
            alpaca("Name three long rivers in Europe please.", output="Danube, Volga, Rhine."),
        ],
    )
    assert got == [
        None,
        "too_short",
        "blacklist:image",
        "empty_output",
        "output_equals_instruction",
        "truncated_output",
        "exact_duplicate",
        "rouge_novelty",
    ]
    report = curator.report.as_dict()
    assert report["counts"] == {"input": 8, "kept": 1, "rejected": 7}
    assert report["rejected_by_step"] == {"filters": 2, "output_checks": 3, "exact": 1, "novelty": 1}
    assert report["reasons_by_step"]["output_checks"] == {
        "empty_output": 1,
        "output_equals_instruction": 1,
        "truncated_output": 1,
    }
    example = report["examples"]["rouge_novelty"][0]
    assert example["text"] == "Name three long rivers in Europe please."
    assert example["evidence"]["partner_text"] == "Name three rivers in Europe."
    assert curator.counts["kept"] == 1 and curator.counts["rejected:too_short"] == 1


def test_only_selected_steps_run() -> None:
    curator = Curator(CurateConfig(), steps=["novelty"])
    assert curator.steps == ("novelty",)
    got = reasons(
        curator,
        [
            alpaca("Say hi."),
            alpaca("Say hi."),
            alpaca("Write a short poem about the sea."),
            alpaca("Write a long and sad poem about the sea tonight."),
        ],
    )
    # without the exact step, an exact repeat is a ROUGE-L 1.0 drop
    assert got == [None, "rouge_novelty", None, "rouge_novelty"]
    assert Curator(CurateConfig(steps=["exact", "filters"])).steps == ("filters", "exact")
    with pytest.raises(ValueError, match="unknown curation steps"):
        Curator(CurateConfig(), steps=["dedup"])


def test_seeds_count_as_kept_with_their_ids_as_partners() -> None:
    curator = Curator(CurateConfig())
    curator.add_seeds(
        [
            SeedTask(
                id="seed1",
                name="s",
                instruction="Write a short poem about the sea.",
                instances=[{"input": "", "output": "Waves..."}],
                is_classification=False,
            )
        ]
    )
    near = curator.consider_one(alpaca("Write a long and sad poem about the sea tonight."))
    assert near.reason == "rouge_novelty" and near.evidence["partner_id"] == "seed1"
    assert near.evidence["score"] > 0.7 and near.evidence["threshold"] == 0.7
    curator.add_reference("eval-7", "Explain how a bicycle gear works.")
    assert (
        curator.consider_one(alpaca("Explain how a BICYCLE gear works.")).evidence["partner_id"] == "eval-7"
    )
    assert curator.report.as_dict()["references"] == {"seeds": 1, "references": 1}


def test_compared_text_is_configurable() -> None:
    first = alpaca(
        "Summarise the text below in one sentence.", "The sea is deep.", input="The sea is wide and deep."
    )
    second = alpaca(
        "Summarise the text below in one sentence.",
        "Rising magma makes volcanoes erupt.",
        input="Volcanoes erupt when magma rises.",
    )
    prompt = Curator(CurateConfig())
    assert reasons(prompt, [first, second]) == [None, None]
    instruction = Curator(CurateConfig(compare="instruction"))
    assert reasons(instruction, [first, second]) == [None, "exact_duplicate"]


def test_dialogues_compare_their_first_user_turn_and_check_assistant_turns() -> None:
    curator = Curator(CurateConfig())
    got = reasons(
        curator,
        [
            dialogue("What are the opening hours of the city library?", "It opens at nine every weekday."),
            dialogue("What are the opening hours of the city library today?", "Nine to five."),
            dialogue(
                "How do I renew a library card online?",
                "Log in and choose Renew.",
                "And if I forgot my password?",
                "As an AI language model, I cannot reset passwords.",
            ),
            dialogue("图书馆周末几点开门？", "周末上午十点开门，下午五点关门。", language="zh"),
            dialogue("图书馆周末几点开门呢？", "十点。", language="zh"),
        ],
    )
    assert got == [None, "rouge_novelty", "ai_self_reference", None, "rouge_novelty"]


def test_alpaca_and_dialogue_records_share_one_index() -> None:
    curator = Curator(CurateConfig())
    assert curator.consider_one(alpaca("What are the opening hours of the city library?")) is None
    rejected = curator.consider_one(dialogue("What are the opening hours of the city library?", "Nine."))
    assert rejected.reason == "exact_duplicate"


def test_minhash_near_duplicates_of_whole_records() -> None:
    answer = " ".join(f"step{i}" for i in range(120))  # shingle Jaccard about 0.96
    curator = Curator(CurateConfig(steps=["minhash"]))
    assert curator.consider_one(alpaca("List the steps of the procedure.", output=answer)) is None
    rejected = curator.consider_one(alpaca("List the steps of this procedure.", output=answer))
    assert rejected.reason == "near_duplicate" and rejected.step == "minhash"
    assert rejected.evidence["jaccard"] >= 0.8 and rejected.evidence["threshold"] == 0.8


def test_consider_returns_kept_records_as_redacted() -> None:
    batch = Curator(CurateConfig()).consider(
        [
            alpaca(
                "Write a polite reply to this customer.",
                input="I am jane@example.com.",
                output="Dear Jane, thank you for writing to us; we will answer soon.",
            ),
            alpaca("Say hi."),
        ]
    )
    assert [r.input for r in batch.kept] == ["I am [EMAIL]."]
    assert [r.reason for r in batch.rejected] == ["too_short"]


def test_full_width_and_case_fold_to_the_same_exact_key() -> None:
    assert exact_key("ＡＢＣ  Hello") == exact_key("abc hello")
