"""Every scheduled build adds new data: builds of one dataset name accumulate, a failed build
is resumed and pays nothing twice, and bad input is refused before any request."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.curate.rouge import rouge_l_f1
from pipeline.curate.views import compared_text
from pipeline.errors import SeedforgeError
from pipeline.records import record_from_dict
from pipeline.text import normalize, tokenize
from tests.build.conftest import build_config, identity, quiet_build, read_split, states
from tests.support.fault_server import FaultServer


def prompt_texts(version: Path) -> list[str]:
    rows = read_split(version, "train") + read_split(version, "heldout")
    return [compared_text(record_from_dict(row), "prompt") for row in rows]


def test_two_builds_grow_the_dataset_with_new_records(server: FaultServer, data_dir: Path) -> None:
    config = build_config(server.base_url)
    first = quiet_build(config)
    assert len(server.models_asked) == 1  # the check's listing is handed to the build's opening
    asked_first = {identity(r.body) for r in server.received}
    second = quiet_build(config)
    assert len(server.models_asked) == 2
    v1, v2 = first.publication.version, second.publication.version
    assert (v1.version, v2.version) == (1, 2) and first.id != second.id

    # v2 holds v1 as it was (held-out stays held-out) plus new records
    for split in ("train", "heldout"):
        old = [row["id"] for row in read_split(v1.path, split)]
        assert [row["id"] for row in read_split(v2.path, split)][: len(old)] == old
    growth = second.summary["growth"]
    assert growth["added"] >= config.generate.target // 2 and growth["total"] == 16
    assert growth["parent"] == 1 and growth["build_number"] == 2 and growth["requests_sent"] > 0

    # no new record is an exact or ROUGE-L > 0.7 duplicate of one of v1's
    earlier = prompt_texts(v1.path)
    new = [compared_text(r, "prompt") for r in second.publication.added]
    assert len(new) == growth["added"]
    for text in new:
        assert normalize(text) not in {normalize(e) for e in earlier}
        assert max(rouge_l_f1(tokenize(text), tokenize(e)) for e in earlier) <= 0.7

    # the second build asked other questions than the first
    asked_second = [identity(r.body) for r in server.received][len(asked_first) :]
    assert asked_second and not set(asked_second) & asked_first

    manifest = v2.manifest
    assert manifest["parent"] == 1 and manifest["build"] == second.id
    assert [b["build"] for b in manifest["builds"]] == [first.id, second.id]
    assert manifest["growth"]["added"] == growth["added"]
    assert [(s["number"], s["status"], s["version"]) for s in states(data_dir)] == [
        (1, "finished", 1),
        (2, "finished", 2),
    ]
    index = json.loads((data_dir / "index" / "grow" / "index.json").read_text())
    assert [(b["name"], b["entries"]) for b in index["builds"]] == [
        (first.id, 8),
        (second.id, growth["added"]),
    ]
    report = Path(second.summary["report"]).read_text()
    assert "## Growth" in report and "dropped as duplicates of earlier builds" in report


def test_a_failed_build_is_resumed_and_replays_from_the_journal(server: FaultServer, data_dir: Path) -> None:
    from pipeline.build.publish import publish_build

    config = build_config(server.base_url)
    quiet_build(config)

    def failing_publish(*args, **kwargs):
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        quiet_build(config, publish_fn=failing_publish)
    failed = states(data_dir)[-1]
    assert (failed["number"], failed["status"]) == (2, "in_progress")
    index = json.loads((data_dir / "index" / "grow" / "index.json").read_text())
    assert len(index["builds"]) == 1  # the failed build left nothing in the index
    assert not (data_dir / "datasets" / "grow" / "v0002").exists()

    sent_before = len(server.received)
    resumed = quiet_build(config, publish_fn=publish_build)
    assert resumed.id == failed["id"] and resumed.claim.resumed
    assert len(server.received) == sent_before  # every answer replayed from the journal
    assert resumed.summary["growth"]["requests_sent"] == 0
    assert resumed.summary["growth"]["added"] >= 4 and resumed.publication.version.version == 2
    assert states(data_dir)[-1]["runs"] == 2

    # and the build after it is a new one
    third = quiet_build(config)
    assert third.claim.state.number == 3 and not third.claim.resumed
    assert third.summary["growth"]["requests_sent"] > 0


def test_a_build_killed_after_publishing_commits_its_index_on_rerun(
    server: FaultServer, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.build import publish

    config = build_config(server.base_url)

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # as if killed between the version and the index

    with monkeypatch.context() as patched, pytest.raises(KeyboardInterrupt):
        patched.setattr(publish, "commit_index", crash)
        quiet_build(config)
    assert (data_dir / "datasets" / "grow" / "v0001").is_dir()

    rerun = quiet_build(config)
    assert rerun.claim.resumed and rerun.publication.version.version == 1
    assert not (data_dir / "datasets" / "grow" / "v0002").exists()
    index = json.loads((data_dir / "index" / "grow" / "index.json").read_text())
    assert [(b["name"], b["entries"]) for b in index["builds"]] == [(rerun.id, 8)]
    assert states(data_dir)[-1]["status"] == "finished"


def test_a_build_is_marked_finished_only_once_its_version_has_its_report(
    server: FaultServer, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed after being marked finished and before the report, a build left a version with no
    report.md for good: the next run was a new build."""
    from pipeline.dataset.builds import ClaimedBuild

    def killed(self, version, outcome):
        raise KeyboardInterrupt  # as if killed just before the build was marked finished

    with monkeypatch.context() as patched, pytest.raises(KeyboardInterrupt):
        patched.setattr(ClaimedBuild, "finish", killed)
        quiet_build(build_config(server.base_url))
    version = data_dir / "datasets" / "grow" / "v0001"
    assert "## Growth" in (version / "report.md").read_text()
    assert states(data_dir)[-1]["status"] == "in_progress"
    rerun = quiet_build(build_config(server.base_url))  # resumes it, and marks it finished
    assert rerun.claim.resumed and rerun.publication.version.version == 1
    assert states(data_dir)[-1]["status"] == "finished"


@pytest.mark.parametrize(
    ("change", "message"),
    [({"language": "zh"}, "language 'en'"), ({"compare": "instruction"}, "compare 'prompt'")],
)
def test_a_changed_language_or_compare_mode_is_refused_before_any_request(
    server: FaultServer, data_dir: Path, change: dict[str, str], message: str
) -> None:
    from pipeline.settings import SEEDS_DIR

    config = build_config(server.base_url)
    quiet_build(config)
    sent, runs = len(server.received), sorted((data_dir / "runs").iterdir())
    if "language" in change:
        changed = build_config(server.base_url, seeds=SEEDS_DIR / "seed_tasks_zh.jsonl", language="zh")
    else:
        changed = config.model_copy(deep=True)
        changed.curate.compare = "instruction"
    with pytest.raises(SeedforgeError, match=message):
        quiet_build(changed)
    assert len(server.received) == sent
    assert sorted((data_dir / "runs").iterdir()) == runs and len(states(data_dir)) == 1


def test_an_endpoint_that_does_not_answer_stops_the_build_before_it_is_claimed(data_dir: Path) -> None:
    from pipeline.errors import EndpointError

    with pytest.raises(EndpointError, match="nothing answers at http://127.0.0.1:9/v1/models"):
        quiet_build(build_config("http://127.0.0.1:9/v1"))
    assert states(data_dir) == [] and not (data_dir / "runs").exists()


def test_a_judge_endpoint_that_does_not_answer_stops_the_build_before_it_is_claimed(
    server: FaultServer, data_dir: Path
) -> None:
    from pipeline.errors import EndpointError
    from pipeline.llm.config import LLMConfig

    config = build_config(server.base_url)
    config.score.enabled = True
    config.score.llm = LLMConfig(base_url="http://127.0.0.1:9/v1", model="judge")
    with pytest.raises(EndpointError, match="nothing answers at http://127.0.0.1:9/v1/models"):
        quiet_build(config)
    assert server.received == [] and states(data_dir) == [] and not (data_dir / "runs").exists()


def test_an_index_built_with_other_settings_is_refused_before_any_request(
    server: FaultServer, data_dir: Path
) -> None:
    config = build_config(server.base_url)
    quiet_build(config)
    other = config.model_copy(deep=True)
    other.curate.minhash.num_perm = 64
    with pytest.raises(SeedforgeError, match="curation index was built with other settings"):
        quiet_build(other)
    assert len(states(data_dir)) == 1


def test_an_index_that_cannot_be_opened_stops_the_build_before_any_request(
    server: FaultServer, data_dir: Path, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    config = build_config(server.base_url)
    config.history.index = str(blocker / "index")
    with pytest.raises(SeedforgeError, match="cannot open the curation index"):
        quiet_build(config)
    assert not server.received and not (data_dir / "datasets" / "grow").exists()


def test_a_build_that_adds_nothing_says_why_and_publishes_nothing(
    repeating_server: FaultServer, data_dir: Path
) -> None:
    # the first build keeps every instruction the model ever proposes
    config = build_config(repeating_server.base_url, target=20, max_requests=20)
    first = quiet_build(config)
    assert first.summary["growth"]["added"] >= 2
    second = quiet_build(build_config(repeating_server.base_url, target=4, max_requests=6))
    growth = second.summary["growth"]
    assert growth["added"] == 0 and growth["total"] == first.summary["growth"]["total"]
    assert growth["nothing_added"] == "no_new_records" and "max_requests 6" in growth["why"]
    assert growth["dropped_as_duplicates_of_earlier_builds"] > 0
    assert set(growth["duplicates_of_earlier_builds_by_step"]) == {"instruction_exact"}
    assert not second.publication.new and second.summary["dataset"]["version"] == 1
    assert not (data_dir / "datasets" / "grow" / "v0002").exists()
    assert states(data_dir)[-1]["status"] == "budget_stopped"  # more budget would resume it
    evidence = [r.evidence for r in second.generated.rejected if "earlier_build" in r.evidence]
    assert {e["earlier_build"] for e in evidence} == {first.id}
    report = Path(second.summary["report"]).read_text()
    assert "This build added nothing" in report and "max_requests" in report


def test_a_build_its_budget_stopped_is_resumed_by_a_larger_budget_only(
    repeating_server: FaultServer, data_dir: Path
) -> None:
    url = repeating_server.base_url
    quiet_build(build_config(url, target=20, max_requests=20))
    quiet_build(build_config(url, target=4, max_requests=6))  # only duplicates: nothing to publish
    stopped = states(data_dir)[-1]
    assert stopped["status"] == "budget_stopped" and stopped["budget"]["max_requests"] == 6
    # the same budget would stop where it stopped: a new build (a fixed nightly budget moves on)
    same = quiet_build(build_config(url, target=4, max_requests=6))
    assert not same.claim.resumed and same.claim.state.number == 3
    # a larger one resumes the newest: what it paid for is replayed, the rest is new
    sent_before = len(repeating_server.received)
    more = quiet_build(build_config(url, target=4, max_requests=9))
    assert more.claim.resumed and more.id == same.id and more.claim.state.runs == 2
    assert more.generated.usage.journal_hits == 6
    assert len(repeating_server.received) - sent_before == more.generated.usage.requests_sent <= 3
    assert states(data_dir)[-1]["status"] in ("budget_stopped", "finished")


def test_duplicates_found_through_the_index_name_the_earlier_build(
    repeating_server: FaultServer, data_dir: Path
) -> None:
    """MinHash alone: the instruction screen has nothing to compare, the index does."""
    config = build_config(repeating_server.base_url, target=20, max_requests=12)
    config.curate.steps = ["filters", "output_checks", "minhash"]
    first = quiet_build(config)
    assert first.summary["growth"]["added"] >= 2
    second = quiet_build(config)
    near = [r for r in second.generated.rejected if r.reason == "near_duplicate"]
    assert near and all(r.evidence["earlier_build"] == first.id for r in near)
    assert second.summary["growth"]["added"] == 0
    assert second.summary["growth"]["duplicates_of_earlier_builds_by_step"]["minhash"] == len(near)


def test_cross_build_dedup_can_be_turned_off(server: FaultServer, data_dir: Path) -> None:
    config = build_config(server.base_url)
    config.history.dedup = False
    quiet_build(config)
    second = quiet_build(config)
    assert second.publication.version.version == 2 and second.summary["growth"]["index"] is None
    assert not (data_dir / "index").exists()


def test_a_dataset_made_before_builds_were_numbered_grows_too(server: FaultServer, data_dir: Path) -> None:
    """Versions without build states or an index: the next build numbers itself after them,
    asks new questions and first fills the index from the latest version."""
    import shutil

    config = build_config(server.base_url)
    first = quiet_build(config)
    shutil.rmtree(data_dir / "datasets" / "grow" / "builds")
    shutil.rmtree(data_dir / "index")
    second = quiet_build(config)
    assert second.claim.state.number == 2 and not second.claim.resumed
    assert second.summary["growth"]["requests_sent"] > 0 and second.summary["growth"]["added"] >= 4
    index = json.loads((data_dir / "index" / "grow" / "index.json").read_text())
    assert [(b["name"], b["entries"]) for b in index["builds"]] == [
        ("grow-v0001-backfill", first.summary["growth"]["total"]),
        (second.id, second.summary["growth"]["added"]),
    ]
