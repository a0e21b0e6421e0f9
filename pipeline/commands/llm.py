"""`seedforge llm ...`: the embedded OpenAI-compatible model server, and the request journal."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from pipeline.commands.choices import JournalStatus
from pipeline.commands.common import PANEL_SERVICE, fail
from pipeline.errors import EndpointError, SeedforgeError

llm_app = typer.Typer(no_args_is_help=True, help="The embedded model server and the request journal.")


@llm_app.command("serve")
def serve(
    port: Annotated[
        Optional[int],
        typer.Option(help="Port (replicas: the first; the others follow)", show_default="a free one"),
    ] = None,
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    model: Annotated[
        Optional[Path], typer.Option(help="GGUF file", show_default="the embedded SmolLM2")
    ] = None,
    replicas: Annotated[
        int, typer.Option(min=1, max=16, help="Servers to start, one thread each (for llm.endpoints)")
    ] = 1,
    adapter: Annotated[
        Optional[Path],
        typer.Option(
            help="GGUF LoRA (seedforge export gguf) applied to the model: serves the tuned model",
            show_default="none: the base",
        ),
    ] = None,
) -> None:
    """Serve the embedded model (OpenAI-compatible) in the foreground until Ctrl-C or SIGTERM,
    which stop every server and exit with 130 or 143. One line per server gives its URL; a
    replica that dies is reported and the others go on serving."""
    import time
    from contextlib import ExitStack

    from pipeline.llm.embedded import EMBEDDED_MODEL_NAME, embedded_gguf_path, start_servers

    # Ctrl-C / SIGTERM raise here (pipeline.processes): the ExitStack stops every server
    try:
        alias = EMBEDDED_MODEL_NAME
        if adapter is not None:
            from pipeline.train.gguf_export import check_lora_file

            check_lora_file(adapter, model or embedded_gguf_path())  # before any server starts
            alias = f"{(model.stem if model else EMBEDDED_MODEL_NAME)}+{adapter.stem}"
        with ExitStack() as stack:
            servers = start_servers(
                replicas, None, stack, model=model, host=host, port=port, lora=adapter, alias=alias
            )
            for server in servers:
                typer.echo(f"serving at {server.base_url} as {alias} (Ctrl-C to stop)")
            sys.stdout.flush()
            running = list(servers)
            while running:  # one that dies is reported; the others go on serving
                time.sleep(0.2)
                for server in [s for s in running if s.process is None or s.process.poll() is not None]:
                    code = server.process.returncode if server.process is not None else None
                    typer.echo(
                        f"the server at {server.base_url} exited on its own with code {code}", err=True
                    )
                    running.remove(server)
    except SeedforgeError as exc:
        fail(exc)
    # the servers failed, not the command line: the service exit code, as for an endpoint that died
    fail(EndpointError("no embedded LLM server is left running (each exited on its own: see above)"))


journal_app = typer.Typer(no_args_is_help=True, help="The request journal: what was asked and answered.")
llm_app.add_typer(journal_app, name="journal")

if TYPE_CHECKING:
    from pipeline.llm.journal_api import JournalStore

JournalOption = Annotated[
    Optional[Path],
    typer.Option("--journal", help="Journal file", show_default="DATA_DIR/journal.sqlite3"),
]


def _open_journal(path: Path | None) -> JournalStore:
    """`--journal FILE`, else the configured journal (SEEDFORGE_JOURNAL_URL or DATA_DIR's file)."""
    from pipeline.llm.journal_location import configured_location, open_journal

    location = path or configured_location()
    if isinstance(location, Path) and not location.is_file():
        raise SeedforgeError("no journal here (nothing was asked yet?)", path=location)
    return open_journal(location)


@journal_app.command("stats")
def journal_stats(journal: JournalOption = None) -> None:
    """Answered and quarantined requests (by reason), tokens and cost, as JSON (cost_known is
    false when some answers came from a model with no price: their cost is unknown, not 0)."""
    import json

    try:
        with _open_journal(journal) as opened:
            typer.echo(json.dumps(opened.totals(), indent=2))
    except SeedforgeError as exc:
        fail(exc)


@journal_app.command("export")
def journal_export(
    out: Annotated[Path, typer.Option(help="File to write: .json a JSON list, .jsonl JSON lines")],
    status: Annotated[
        Optional[JournalStatus], typer.Option(help="Only these requests", show_default="both")
    ] = None,
    journal: JournalOption = None,
) -> None:
    """Every request with its answer (or quarantine reason, error and raw text)."""
    from pipeline.io import record_format, write_records_atomic

    try:
        record_format(out)
        with _open_journal(journal) as opened:
            count = write_records_atomic(out, opened.rows(status.value if status else None))
    except SeedforgeError as exc:
        fail(exc)
    typer.echo(f"{count} requests written to {out}")


def register(app: typer.Typer) -> None:
    app.add_typer(llm_app, name="llm", rich_help_panel=PANEL_SERVICE)
