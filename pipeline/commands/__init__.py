"""CLI command groups, one module per area. Each module defines `register(app)` and imports
only typer at module level: heavy libraries load inside the commands that use them. The
conventions every command follows are in `pipeline/commands/common.py`.

A command line names its command before anything else but the global flags, so the console
script registers only that command's modules (`modules_for`): the others are neither imported
nor turned into click commands, which is a tenth of a short command's start-up. `--help`, no
command or an unknown one registers them all."""

from __future__ import annotations

import pkgutil
from collections.abc import Sequence

# top-level command -> the modules that register it (a group with its subcommands' modules)
COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "build": ("pipeline_run",),
    "compare": ("compare",),
    "corpus": ("corpus",),
    "curate": ("curate",),
    "demo": ("pipeline_run",),
    "eval": ("evaluate",),
    "export": ("export", "export_gguf"),
    "generate": ("generate", "generate_dialogues", "generate_self_instruct"),
    "ingest": ("ingest",),
    "llm": ("llm",),
    "merge": ("train",),
    "pretrain": ("pretrain",),
    "review": ("review",),
    "run": ("pipeline_run",),
    "score": ("score",),
    "study": ("study",),
    "train": ("train",),
    "vocab": ("vocab",),
}


def all_modules() -> tuple[str, ...]:
    return tuple(sorted(info.name for info in pkgutil.iter_modules(__path__)))


def modules_for(args: Sequence[str]) -> tuple[str, ...]:
    """The modules a command line needs: its command's, or every module when it names none
    that is known (top-level help, a typo that click should answer with the full list)."""
    command = next((arg for arg in args if not arg.startswith("-")), None)
    if command is None or "--help" in args[: args.index(command)]:
        return all_modules()
    return COMMAND_MODULES.get(command, all_modules())
