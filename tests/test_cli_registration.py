"""The console script registers only the command its command line names: that must give the
same command, options and help as the full app, and every command must be in the map."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from pipeline.cli import SeedforgeApp, app
from pipeline.commands import COMMAND_MODULES, all_modules, modules_for

runner = CliRunner()
WIDE = {"COLUMNS": "400"}


def _alone(modules: list[str] | tuple[str, ...]) -> SeedforgeApp:
    """A fresh app with only these modules; its callback makes it a group, as the real one."""
    fresh = SeedforgeApp(name="seedforge")
    fresh.callback()(lambda: None)
    return fresh.register_commands(modules)


def _shape(command: Any) -> Any:
    """A command's names, options and subcommands, recursively: what a user can type."""
    params = sorted((tuple(p.opts), p.param_type_name) for p in command.params)
    subcommands = getattr(command, "commands", {})
    return params, {name: _shape(sub) for name, sub in sorted(subcommands.items())}


def test_every_command_of_the_full_app_is_in_the_map() -> None:
    assert set(typer.main.get_command(app).commands) == set(COMMAND_MODULES)


@pytest.mark.parametrize("name", sorted(COMMAND_MODULES))
def test_registering_only_a_commands_modules_gives_the_same_command(name: str) -> None:
    full = typer.main.get_command(app).commands[name]
    alone = _alone(COMMAND_MODULES[name])
    assert _shape(typer.main.get_command(alone).commands[name]) == _shape(full)


def test_command_lines_pick_their_modules() -> None:
    assert modules_for(["curate", "in.jsonl", "--out", "x.jsonl"]) == ("curate",)
    assert modules_for(["-q", "generate", "dialogues", "--help"]) == COMMAND_MODULES["generate"]
    assert modules_for(["merge", "--help"]) == ("train",)
    for everything in ([], ["--help"], ["--help", "curate"], ["curat"], ["--version"]):
        assert modules_for(everything) == all_modules(), everything


def test_registering_a_module_twice_registers_it_once() -> None:
    alone = _alone(["curate", "curate"])
    alone.register_commands(["curate"])
    assert len(alone.registered_commands) == 1


@pytest.mark.parametrize("argv", [["curate", "--help"], ["generate", "self-instruct", "--help"]])
def test_the_console_script_prints_the_full_apps_help(argv: list[str]) -> None:
    script = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *argv],
        capture_output=True,
        text=True,
        env={**WIDE, "PATH": "/usr/bin:/bin", "TERM": "dumb"},
        check=True,
    )
    full = runner.invoke(app, argv, env=WIDE, terminal_width=400, prog_name="seedforge").stdout
    assert _lines(script.stdout.replace("python -m pipeline.cli", "seedforge")) == _lines(full)


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines()]
