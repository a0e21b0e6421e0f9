"""The terminal review of `seedforge review`: one sampled record at a time (rich), the same
choices as the form in the Prefect UI.

Keys: a accept, r reject (then a reason from the fixed list and a note), e edit (the new
output on one line, `\\n` for a line break, `\\\\` for a backslash), s skip (left undecided),
A approve the rest (accept this and every record after it), q stop here (the rest stays
undecided). The end of the input (Ctrl-D, or piped answers that run out) stops like q; Ctrl-C
stops too, and the caller is told, so it can apply what was decided and still exit 130."""

from __future__ import annotations

import re
import signal
from dataclasses import dataclass
from typing import Literal

from rich.console import Console
from rich.panel import Panel
from rich.prompt import Prompt
from rich.table import Table

from pipeline.curate.views import input_of, instruction_of
from pipeline.errors import SeedforgeError
from pipeline.review.decisions import output_of
from pipeline.review.models import BLANK_REVIEWER, Decision, RejectReason, Submission, Verdict
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


# a typed output's escapes: backslash-n a line break, two backslashes one backslash
ESCAPE = re.compile(r"\\([\\n])")
EDIT_PROMPT = "new output (\\n a line break, \\\\ a backslash; empty: skip)"
NO_NAME = "no reviewer's name: pass --reviewer NAME (or set $USER)"

# how the questions ended: every record asked (or q, or A), the input ran out, Ctrl-C
Ending = Literal["answered", "end of input", "interrupted"]


@dataclass
class Answers:
    """What the reviewer decided before the questions ended, and how they ended."""

    submission: Submission
    ended: Ending = "answered"
    signum: int | None = None  # the signal that interrupted: SIGINT, or SIGTERM / SIGHUP


def typed_output(text: str) -> str:
    """A new output typed on one line: `\\n` is a line break and `\\\\` a backslash (so
    `\\\\n` is a backslash and an n); any other backslash stays as typed."""
    return ESCAPE.sub(lambda escape: "\n" if escape.group(1) == "n" else "\\", text)


def reviewer_name(given: str | None, user: str | None, can_ask: bool, console: Console | None = None) -> str:
    """Who reviews: `given` (--reviewer), else `user` ($USER), else asked, where the input is a
    terminal (piped answers are meant for the records, never taken for a name). A blank name
    or none at all is refused (SeedforgeError) before anything is asked about a record."""
    if given is None and user and user.strip():
        given = user
    if given is None:
        if not can_ask:
            raise SeedforgeError(NO_NAME)
        try:
            given = Prompt.ask("your name", console=console or Console(stderr=True))
        except EOFError:
            raise SeedforgeError(NO_NAME) from None
    if not given.strip():
        raise SeedforgeError(f"{BLANK_REVIEWER}: pass --reviewer NAME")
    return given.strip()


def _decide(console: Console, item: Sampled, key: str) -> Decision | None:
    """The decision a key makes about a record, asking what it needs; None: left undecided."""
    rid = item.record.id
    if key == "a":
        return Decision(id=rid, verdict=Verdict.accept)
    if key == "r":
        reason = _reason(console)
        note = Prompt.ask("note", default="", console=console)
        return Decision(id=rid, verdict=Verdict.reject, reason=reason, note=note)
    if key == "e":
        text = Prompt.ask(EDIT_PROMPT, default="", console=console)
        if text.strip():
            note = Prompt.ask("note", default="", console=console)
            return Decision(id=rid, verdict=Verdict.edit, output=typed_output(text), note=note)
    return None


def _ask_each(console: Console, sample: list[Sampled], decisions: list[Decision]) -> bool:
    """Ask about each record, appending to `decisions` as they are made (so what was decided
    survives the end of the input or Ctrl-C); whether the reviewer approved the rest."""
    for number, item in enumerate(sample, start=1):
        show_record(console, number, len(sample), item)
        key = Prompt.ask("decision", choices=list(KEYS), console=console)
        if key in ("q", "A"):
            return key == "A"
        decision = _decide(console, item, key)
        if decision is not None:
            decisions.append(decision)
    return False


def ask_in_terminal(sample: list[Sampled], reviewer: str, console: Console | None = None) -> Answers:
    """Ask about each sampled record in turn; what was decided, as a submission. A record
    whose questions the end of the input or Ctrl-C cut short stays undecided."""
    console = console or Console(stderr=True)
    console.print("keys: " + ", ".join(f"[bold]{key}[/] {meaning}" for key, meaning in KEYS.items()))
    decisions: list[Decision] = []
    approve_rest = False
    ended: Ending = "answered"
    signum = None
    try:
        approve_rest = _ask_each(console, sample, decisions)
    except EOFError:
        ended = "end of input"
    except KeyboardInterrupt as interrupt:  # SIGTERM and SIGHUP arrive as its subclass Terminated
        ended, signum = "interrupted", getattr(interrupt, "signum", int(signal.SIGINT))
    if ended != "answered":
        console.print()  # the prompt it cut short has no line end of its own
    submission = Submission(reviewer=reviewer, decisions=decisions, approve_rest=approve_rest, source="cli")
    return Answers(submission, ended, signum)
