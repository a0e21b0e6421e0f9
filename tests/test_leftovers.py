"""What a writer killed with SIGKILL leaves beside its target is removed by the next writer in
that folder — only when its process is gone, on this machine, and never the previous content."""

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
    gone = [
        tmp_path / f".tmp-kept.jsonl-0123456789ab-{dead}@{HOST}",
        tmp_path / f".tmp-kept.jsonl-x-0123456789ab-{dead}@{HOST}",  # another target's
        tmp_path / f".tmp-other-name.jsonl-0123456789ab-{dead}@{HOST}",
    ]
    for path in gone:
        path.write_text("half")
    gone_dirs = [  # `vocab extend --out tok` killed, then a write beside it
        tmp_path / f".staging-kept.jsonl-0123456789ab-{dead}@{HOST}",
        tmp_path / f".staging-tok-0123456789ab-{dead}@{HOST}",
    ]
    for path in gone_dirs:
        (path / "inner").mkdir(parents=True)
    kept = [
        tmp_path / f".tmp-kept.jsonl-0123456789ab-{alive}@{HOST}",  # still writing
        tmp_path / f".tmp-kept.jsonl-0123456789ab-{dead}@another-machine",  # a shared volume
        tmp_path / ".tmp-kept.jsonl-0123456789ab",  # a name of the old form: owner unknown
        tmp_path / f".tmp-other.jsonl-0123456789ab-{alive}@{HOST}",
        tmp_path / f".old-missing-0123456789ab-{dead}@{HOST}",  # the only copy of "missing"
        tmp_path / ".tmp-notes",  # not ours
    ]
    for path in kept:
        path.write_text("x")
    write_atomic(target, "new\n")
    assert target.read_text() == "new\n"
    assert not any(path.exists() for path in gone + gone_dirs)
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


def test_a_write_through_a_link_replaces_what_it_names_and_keeps_the_link(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "kept.jsonl").write_text("old\n")
    (tmp_path / "kept.jsonl").symlink_to(Path("real") / "kept.jsonl")
    write_atomic(tmp_path / "kept.jsonl", "new\n")
    assert (tmp_path / "kept.jsonl").is_symlink()
    assert (tmp_path / "real" / "kept.jsonl").read_text() == "new\n"
    (tmp_path / "out").symlink_to("real")
    staging = make_staging_dir(tmp_path / "out")
    (staging / "train.json").write_text("[]")
    publish_dir(staging, tmp_path / "out")
    assert (tmp_path / "out").is_symlink() and (tmp_path / "real" / "train.json").exists()
