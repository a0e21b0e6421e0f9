"""What a writer killed with SIGKILL (or a crash) leaves beside its target — a temporary file,
a staging folder, a folder renamed aside — and how the next write into the same folder removes
it, whatever its target (a user who killed `vocab extend --out a` and then ran `--out b` beside
it keeps no hidden copy of the model weights). `pipeline.io` names those
`.KIND-NAME-RANDOM-PID@HOST`, so the owner can be asked about."""

from __future__ import annotations

import os
import re
import shutil
import socket
from pathlib import Path

HOST = socket.gethostname()
_TOKEN = re.compile(r"[0-9a-f]{12}")
_LEFTOVER = re.compile(r"\.(tmp|staging|old)-(.+)-([0-9a-f]{12}-\d+@.+)")  # kind, target, writer


def _writer_gone(suffix: str) -> bool:
    """Whether the writer named by `RANDOM-PID@HOST` is a process of this machine that no longer
    runs. Another machine's writer (a shared volume), a name of another form: not known gone."""
    head, at, host = suffix.rpartition("@")
    token, _, pid = head.rpartition("-")
    if not at or host != HOST or not pid.isdigit() or not _TOKEN.fullmatch(token):
        return False
    if int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, under another user
        return False
    return False


def sweep_leftovers(target: Path) -> None:
    """Remove the temporary files and staging folders that writers killed with SIGKILL (or a
    crash) left in `target`'s folder, for `target` or any other name there. An `.old-` folder
    goes only when its target is there again: a kill between `publish_dir`'s two renames leaves
    the previous content in it."""
    parent = target.parent
    if not parent.is_dir():
        return
    for kind in ("tmp", "staging", "old"):
        for leftover in parent.glob(f".{kind}-*"):
            found = _LEFTOVER.fullmatch(leftover.name)
            if found is None or not _writer_gone(found.group(3)):
                continue
            if kind == "old" and not (parent / found.group(2)).exists():
                continue
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)
