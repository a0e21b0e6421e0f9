"""Helpers shared by the command modules."""

from __future__ import annotations

import os
from typing import NoReturn

import typer


def register(app: typer.Typer) -> None:
    """No commands here; present so every module in this package has the same shape."""


def fail(exc: Exception) -> NoReturn:
    typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=2)


def prefect_defaults() -> None:
    # the 20 s default times out on 2 busy cores; analytics would try the network
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
