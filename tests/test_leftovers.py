"""What a writer killed with SIGKILL leaves beside its target is removed by the next writer of
that target — only when its process is gone, on this machine, and never the previous content."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from pipeline.io import atomic_writer, make_staging_dir, publish_dir, write_atomic
from pipeline.leftovers import HOST


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_the_next_writer_removes_only_what_dead_writers_here_left(tmp_path: Path) -> None:
    target = tmp_path / "kept.jsonl"
    dead, alive = _dead_pid(), os.getppid()
    gone_file = tmp_path / f".tmp-kept.jsonl-0123456789ab-{dead}@{HOST}"
    gone_file.write_text("half")
    gone_dir = tmp_path / f".staging-kept.jsonl-0123456789ab-{dead}@{HOST}"
    (gone_dir / "inner").mkdir(parents=True)
    kept = [
        tmp_path / f".tmp-kept.jsonl-0123456789ab-{alive}@{HOST}",  # still writing
        tmp_path / f".tmp-kept.jsonl-0123456789ab-{dead}@another-machine",  # a shared volume
        tmp_path / ".tmp-kept.jsonl-0123456789ab",  # a name of the old form: owner unknown
        tmp_path / f".tmp-kept.jsonl-x-0123456789ab-{dead}@{HOST}",  # another target's
        tmp_path / f".tmp-other.jsonl-0123456789ab-{dead}@{HOST}",
    ]
    for path in kept:
        path.write_text("x")
    write_atomic(target, "new\n")
    assert target.read_text() == "new\n"
    assert not gone_file.exists() and not gone_dir.exists()
    assert all(path.exists() for path in kept)


def test_an_old_folder_is_removed_only_once_its_target_is_back(tmp_path: Path) -> None:
    final = tmp_path / "v0001"
    old = tmp_path / f".old-v0001-0123456789ab-{_dead_pid()}@{HOST}"
    (old / "train.jsonl").parent.mkdir(parents=True)
    (old / "train.jsonl").write_text("the previous content")
    staging = make_staging_dir(final)  # final is missing: the old folder is all there is
    assert old.exists()
    (staging / "train.jsonl").write_text("new")
    publish_dir(staging, final)
    make_staging_dir(final)
    assert not old.exists()


def test_a_writer_killed_mid_write_leaves_nothing_after_the_next_run(tmp_path: Path) -> None:
    target = tmp_path / "out" / "big.jsonl"
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from pipeline.io import atomic_writer\n"
        f"with atomic_writer(Path({str(target)!r})) as handle:\n"
        "    handle.write('x' * 1000)\n"
        "    handle.flush()\n"
        "    print('writing', flush=True)\n"
        "    time.sleep(60)\n"
    )
    writer = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert writer.stdout is not None and writer.stdout.readline() == "writing\n"
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    leftovers = list(target.parent.glob(".tmp-big.jsonl-*"))
    assert len(leftovers) == 1 and not target.exists()
    time.sleep(0.05)
    with atomic_writer(target) as handle:
        handle.write("done\n")
    assert target.read_text() == "done\n" and list(target.parent.iterdir()) == [target]
