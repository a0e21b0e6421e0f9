"""CLI command groups, one module per area. Each module defines `register(app)` and imports
only typer at module level: heavy libraries load inside the commands that use them. The
conventions every command follows are in `pipeline/commands/common.py`."""

from __future__ import annotations

import importlib
import pkgutil

import typer


def register_all(app: typer.Typer) -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        module.register(app)
