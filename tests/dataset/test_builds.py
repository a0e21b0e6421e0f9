"""Build identity: a new build, or the unfinished one resumed; never one build twice at once."""

from pathlib import Path

from pipeline.dataset.builds import claim_build, claimed_build, read_states, recorded_settings

SETTINGS = {"language": "en", "compare": "prompt"}


def test_builds_are_numbered_and_a_finished_one_is_not_resumed(tmp_path: Path) -> None:
    first = claim_build(tmp_path, "ds", None, SETTINGS)
    assert first.state.number == 1 and not first.resumed and first.id.startswith("ds-b0001-")
    first.finish(1, {"added": 3})
    second = claim_build(tmp_path, "ds", 1, SETTINGS)
    assert second.state.number == 2 and second.state.parent == 1 and not second.resumed
    second.release()
    assert [(s.number, s.status) for s in read_states(tmp_path, "ds")] == [
        (1, "finished"),
        (2, "in_progress"),
    ]
    assert not (tmp_path / "ds" / "builds" / f"{first.id}.lock").exists()


def test_an_unfinished_build_is_resumed_with_its_id_number_and_parent(tmp_path: Path) -> None:
    with claimed_build(tmp_path, "ds", 3, SETTINGS) as claimed:
        started = claimed.id
    resumed = claim_build(tmp_path, "ds", 4, SETTINGS)  # a later latest version does not matter
    assert resumed.resumed and resumed.id == started and resumed.state.parent == 3
    assert resumed.state.runs == 2
    resumed.release()


def test_two_runs_at_once_never_take_the_same_unfinished_build(tmp_path: Path) -> None:
    with claimed_build(tmp_path, "ds", None, SETTINGS) as crashed:
        unfinished = crashed.id
    running = claim_build(tmp_path, "ds", None, SETTINGS)  # resumes it and holds it
    assert running.id == unfinished
    other = claim_build(tmp_path, "ds", None, SETTINGS)  # cannot take it: a new build
    assert other.id != unfinished and other.state.number == 2 and not other.resumed
    running.release()
    other.release()
    # both unfinished now: the newest is resumed first
    assert claim_build(tmp_path, "ds", None, SETTINGS).id == other.id


def test_recorded_settings_are_the_newest_builds(tmp_path: Path) -> None:
    assert recorded_settings(tmp_path, "ds") is None
    claim_build(tmp_path, "ds", None, SETTINGS).finish(None, {})
    assert recorded_settings(tmp_path, "ds") == SETTINGS
