"""`seedforge llm ...`: the embedded OpenAI-compatible model server."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from pipeline.commands.common import fail
from pipeline.errors import SeedforgeError

llm_app = typer.Typer(no_args_is_help=True, help="The embedded OpenAI-compatible model server.")


@llm_app.command("serve")
def serve(
    port: Annotated[Optional[int], typer.Option(help="Port (default: a free one)")] = None,
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    model: Annotated[Optional[Path], typer.Option(help="GGUF file (default: embedded SmolLM2)")] = None,
) -> None:
    """Serve the embedded model (OpenAI-compatible) in the foreground until Ctrl-C."""
    from pipeline.llm.embedded import EmbeddedServer

    server = EmbeddedServer(model=model, port=port, host=host)
    try:
        server.start()
    except SeedforgeError as exc:
        fail(exc)
    typer.echo(f"serving at {server.base_url} (Ctrl-C to stop)")
    sys.stdout.flush()
    try:
        assert server.process is not None
        server.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


def register(app: typer.Typer) -> None:
    app.add_typer(llm_app, name="llm")
