from pipeline.generate.self_instruct.loop import SelfInstructResult
from pipeline.generate.self_instruct.progress import GenerationProgress


def test_the_bar_never_shows_more_accepted_than_the_target() -> None:
    progress = GenerationProgress(6)
    result = SelfInstructResult()
    result.kept = [object()] * 7  # type: ignore[list-item]  # the last batch's surplus, trimmed later
    progress.on_batch(result)
    assert progress.progress.tasks[0].completed == 6
    result.kept = [object()] * 3  # type: ignore[list-item]
    progress.on_batch(result)
    assert progress.progress.tasks[0].completed == 3
