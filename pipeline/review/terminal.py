"""The terminal review of `seedforge review`: one sampled record at a time (rich), the same
choices as the form in the Prefect UI.

Keys: a accept, r reject (then a reason from the fixed list and a note), e edit (the new
output on one line, `\\n` for a line break), s skip (left undecided), A approve the rest
(accept this and every record after it), q stop here (the rest stays undecided)."""

from __future__ import annotations

from rich.console import Console
from rich.panel import Panel
from rich.prompt import Prompt
from rich.table import Table

from pipeline.curate.views import input_of, instruction_of
from pipeline.review.decisions import output_of
from pipeline.review.models import Decision, RejectReason, Submission, Verdict
from pipeline.review.sampling import Sampled

KEYS = {"a": "accept", "r": "reject", "e": "edit", "s": "skip", "A": "approve the rest", "q": "stop"}
REASONS = [reason for reason in RejectReason if reason != RejectReason.none]


def show_record(console: Console, number: int, total: int, item: Sampled) -> None:
    record, lineage = item.record, item.record.lineage
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column()
    table.add_row("instruction", instruction_of(record))
    if input_of(record):
        table.add_row("input", input_of(record))
    table.add_row("output", output_of(record))
    origin = f"{lineage.generator}, {lineage.model or 'model unknown'}, build {lineage.build or '-'}"
    table.add_row("lineage", origin)
    title = f"{number}/{total} · {record.id} · {item.category} · {item.risk}"
    console.print(Panel(table, title=title, title_align="left"))


def _reason(console: Console) -> RejectReason:
    for index, reason in enumerate(REASONS, start=1):
        console.print(f"  {index}. {reason.value}")
    choice = Prompt.ask("reason", choices=[str(i) for i in range(1, len(REASONS) + 1)], console=console)
    return REASONS[int(choice) - 1]


def ask_in_terminal(sample: list[Sampled], reviewer: str, console: Console | None = None) -> Submission:
    """Ask about each sampled record in turn; what was decided, as a submission."""
    console = console or Console(stderr=True)
    console.print("keys: " + ", ".join(f"[bold]{key}[/] {meaning}" for key, meaning in KEYS.items()))
    decisions: list[Decision] = []
    approve_rest = False
    for number, item in enumerate(sample, start=1):
        show_record(console, number, len(sample), item)
        key = Prompt.ask("decision", choices=list(KEYS), console=console)
        rid = item.record.id
        if key == "q":
            break
        if key == "A":
            approve_rest = True
            break
        if key == "a":
            decisions.append(Decision(id=rid, verdict=Verdict.accept))
        elif key == "r":
            reason = _reason(console)
            note = Prompt.ask("note", default="", console=console)
            decisions.append(Decision(id=rid, verdict=Verdict.reject, reason=reason, note=note))
        elif key == "e":
            text = Prompt.ask("new output (\\n for a line break; empty: skip)", default="", console=console)
            if text.strip():
                note = Prompt.ask("note", default="", console=console)
                output = text.replace("\\n", "\n")
                decisions.append(Decision(id=rid, verdict=Verdict.edit, output=output, note=note))
    return Submission(reviewer=reviewer, decisions=decisions, approve_rest=approve_rest, source="cli")
