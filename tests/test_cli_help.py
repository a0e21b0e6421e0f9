"""Every command's --help explains itself: each option with a default shows it, each option with
fixed choices lists them, no hand-written `[...]` is swallowed by rich markup; the commands
are grouped; `--version` prints the package's version."""

from __future__ import annotations

import re
from importlib.metadata import version
from typing import Any, get_args

import pytest
import typer
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.commands.common import PANEL_ORDER

runner = CliRunner()
WIDE = {"COLUMNS": "400"}  # nothing wraps: a row is one line

# options whose values are a fixed set: they must be Choices, so --help lists them
FIXED_CHOICES = {
    ("curate", "--compare"),
    ("curate", "--pii"),
    ("generate self-instruct", "--lang"),
    ("generate dialogues", "--turns"),
    ("train", "--overlength"),
    ("merge", "--dtype"),
    ("llm journal export", "--status"),
    ("export dataset", "--format"),
    ("export gguf", "--outtype"),
    ("train", "--device"),
    ("train", "--precision"),
    ("train", "--load-in"),
    ("pretrain", "--device"),
    ("pretrain", "--precision"),
    ("pretrain", "--load-in"),
    ("eval", "--device"),
    ("eval", "--engine"),
    ("study sizes", "--metric"),
}


# typer's command objects are read by duck typing: newer typer vendors a click of its own
def _is_group(command: Any) -> bool:
    return hasattr(command, "commands")


def _options(command: Any) -> list[Any]:
    return [p for p in command.params if p.param_type_name == "option" and "--help" not in p.opts]


def _choices(option: Any) -> list[str] | None:
    """The option's fixed choices, or None: typer's type descriptor, else click's Choice type."""
    descriptor = getattr(option, "type_descriptor", None)
    if descriptor is not None:
        return [str(getattr(c, "value", c)) for c in descriptor.choices] if descriptor.is_choice else None
    choices = getattr(getattr(option, "type", None), "choices", None)
    return [str(c) for c in choices] if choices else None


def _commands(group: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    found = []
    for name in group.list_commands(None):
        command = group.commands[name]
        found.append(((*path, name), command))
        if _is_group(command):
            found += _commands(command, (*path, name))
    return found


TOP = typer.main.get_command(app)
COMMANDS = _commands(TOP)
assert len(COMMANDS) > 10 and sum(len(_options(c)) for _, c in COMMANDS) > 50  # the walk finds them


def _flat(text: str) -> str:
    """The help without box drawing, whitespace collapsed: each row on one line."""
    return re.sub(r"\s+", " ", re.sub(r"[│╭╮╰╯─]", " ", text))


ROW_START = re.compile(r"^│\s*(?:\*\s+)?(--[\w-]+)")  # an option's row: its first name at the box edge


def _rows(text: str, options: list[Any]) -> dict[str, str]:
    """Each option's row (the lines from its names to the next row), flattened."""
    rows: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        start = ROW_START.match(line)
        if start:
            current = rows.setdefault(start.group(1), [])
        elif line.startswith(("╰", "╭")):
            current = None
        if current is not None:
            current.append(line)
    found = {}
    for option in options:
        name = next((opt for opt in option.opts if opt in rows), None)
        assert name is not None, f"{option.opts} is missing from --help"
        found[max(option.opts, key=len)] = _flat("\n".join(rows[name]))
    return found


def _shown_default(option: Any) -> str | None:
    """What `[default: ...]` must show, or None for an option without one."""
    if isinstance(option.show_default, str):
        return f"[default: ({option.show_default})]"
    if option.default is None or option.show_default is False:
        return None
    if option.is_flag and not option.secondary_opts and not option.default:
        return None  # a lone --flag is off unless given
    if option.is_flag and option.secondary_opts:
        shown = option.opts[0] if option.default else option.secondary_opts[0]
        return f"[default: {shown.removeprefix('--')}]"
    default = option.default.value if hasattr(option.default, "value") else option.default
    if isinstance(default, list | tuple):
        return "[default: "
    return f"[default: {default}]"


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_option_shows_its_default_and_its_choices(path: tuple[str, ...], command: Any) -> None:
    result = runner.invoke(app, [*path, "--help"], env=WIDE)
    assert result.exit_code == 0, result.output
    options = _options(command)
    rows = _rows(result.output, options)
    for option in options:
        name = max(option.opts, key=len)
        row = rows[name]
        expected = _shown_default(option)
        if expected is not None:
            assert expected in row, f"{' '.join(path)} {name}: no {expected!r} in {row!r}"
        # hidden defaults go through show_default (rich markup swallows `[default: ...]`)
        assert "default" not in (option.help or "").lower(), f"{' '.join(path)} {name}: default in help text"
        for bracketed in re.findall(r"\[[^\]]*\]", option.help or ""):
            assert bracketed in row, f"{' '.join(path)} {name}: {bracketed!r} swallowed"
        choices = _choices(option)
        for choice in choices or []:
            assert choice in row, f"{' '.join(path)} {name}: choice {choice!r} not listed"
        if (" ".join(path), name) in FIXED_CHOICES:
            assert choices, f"{' '.join(path)} {name} lists no choices"


def test_every_fixed_choice_option_exists() -> None:
    """The list above names real options (a renamed one would otherwise pass unnoticed)."""
    names = {(" ".join(path), opt) for path, command in COMMANDS for p in command.params for opt in p.opts}
    assert FIXED_CHOICES <= names


def test_the_choices_match_the_stage_configs() -> None:
    from pipeline.commands import choices
    from pipeline.curate.config import CurateConfig, PIIConfig
    from pipeline.evaluate.config import EvaluateConfig
    from pipeline.generate.dialogues.config import DialogueConfig
    from pipeline.generate.self_instruct.config import GenerateConfig
    from pipeline.study.config import SizeStudyConfig
    from pipeline.train.config import TrainConfig
    from pipeline.train.export import DTYPES
    from pipeline.train.hardware import QuantName

    def values(enum: type) -> set[str]:
        return {member.value for member in enum}

    def literal(model: type, field: str) -> set[str]:
        return {str(v) for v in get_args(model.model_fields[field].annotation)}

    assert values(choices.Language) == literal(GenerateConfig, "language")
    assert values(choices.Compare) == literal(CurateConfig, "compare")
    assert values(choices.PiiAction) == literal(PIIConfig, "action")
    assert values(choices.Overlength) == literal(TrainConfig, "overlength")
    assert values(choices.Device) == literal(TrainConfig, "device")
    assert values(choices.Precision) == literal(TrainConfig, "precision")
    assert values(choices.LoadIn) == set(get_args(QuantName))
    assert values(choices.Engine) == literal(EvaluateConfig, "engine")
    assert values(choices.Turns) == literal(DialogueConfig, "turns")
    assert values(choices.DType) == set(DTYPES)
    assert values(choices.StudyMetric) == literal(SizeStudyConfig, "metric")


def test_commands_are_grouped_in_pipeline_order() -> None:
    flat = _flat(runner.invoke(app, ["--help"], env=WIDE).output)
    positions = [flat.index(f" {panel} ") for panel in PANEL_ORDER]
    assert positions == sorted(positions)
    for name in TOP.list_commands(None):
        assert getattr(TOP.commands[name], "rich_help_panel", None) in PANEL_ORDER, f"{name} has no panel"


def test_help_lists_the_exit_codes() -> None:
    flat = _flat(runner.invoke(app, ["--help"], env=WIDE).output)
    for code in ("0 done", "2 bad input", "3 endpoint", "4 stopped by the budget", "128+N"):
        assert code in flat


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"seedforge {version('seedforge')}"


def test_verbose_and_quiet_exclude_each_other() -> None:
    result = runner.invoke(app, ["--verbose", "--quiet", "llm", "journal", "stats"])
    assert result.exit_code == 2
