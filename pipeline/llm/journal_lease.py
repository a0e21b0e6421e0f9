"""One client's leases on the journal: a request is sent only by the worker that holds its key.

A worker takes a key's lease when the request may leave (its first attempt has a turn from
admission), not while it queues: so two workers given the same requests each lease what they
can send now and split the work, instead of one leasing the whole batch while the other waits.
A worker that finds the key leased by another (another process, machine, or client in this
process) gives its turn back and waits for the lease, polling the journal, instead of sending
it; when the lease goes (its owner answered, gave up, or died and the lease expired) it takes
the key over, and sends only if there is still no answer and no quarantine written since it
started asking. An owner renews its leases every third of their life while the requests are in
flight, in one statement for all of them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from pipeline.llm.accounting import Spend
from pipeline.llm.journal_api import JournalEntry, JournalStore, lease_owner
from pipeline.llm.request import BUDGET_EXHAUSTED, Prepared
from pipeline.llm.wire import Answer, Unanswered

log = logging.getLogger("pipeline.llm")

POLL_FIRST_S = 0.02
POLL_MAX_S = 0.5

Turn = Any  # what admission gave an attempt (a Ticket); opaque here


class Unread:
    """`send_once`'s `before` when the caller has not read the journal entry."""


UNREAD = Unread()


async def _no_turn() -> None:
    return None


def _nothing(turn: Turn) -> None:
    return None


class Leases:
    """Create inside the event loop that uses it; `close()` stops the renewal."""

    def __init__(self, journal: JournalStore):
        self.journal = journal
        self.owner = lease_owner()  # one per client: its requests of one key are coalesced already
        self._held: set[str] = set()
        self._renewer: asyncio.Task[None] | None = None

    async def send_once(
        self,
        key: str,
        send: Callable[[Turn | None], Awaitable[Answer | Unanswered]],
        replay: Callable[[JournalEntry], Answer],
        first_turn: Callable[[], Awaitable[Turn | Unanswered | None]] = _no_turn,
        give_back: Callable[[Turn], None] = _nothing,
        before: JournalEntry | None | Unread = UNREAD,
        settle: Callable[[Unanswered], None] | None = None,
    ) -> Answer | Unanswered:
        """`send(turn)` under the key's lease; another worker's answer (`replay`) or quarantine
        when it settled the request meanwhile. The turn (`first_turn()`: admission's ticket, or
        None where there is no admission) is taken before the lease. If another worker holds
        the lease, the turn goes back and this worker waits for the lease without one (so
        waiting reserves no budget), then sends on a turn of its own (`send(None)`). An
        Unanswered from `first_turn` (the budget is spent) is returned as is. `before` is the
        key's journal entry when the caller started asking (read here when not given): a
        quarantine already there is an earlier run's, and the request is asked again. `settle`
        journals a send that ended unanswered (its quarantine) while the lease is still held: a
        worker waiting for the lease then finds the quarantine instead of sending again."""
        if isinstance(before, Unread):
            before = self.journal.get(key)
        turn = await first_turn()
        if isinstance(turn, Unanswered):
            return turn
        try:
            if not self.journal.take_lease(key, self.owner):
                if turn is not None:  # no turn held while waiting: it reserves budget and a slot
                    give_back(turn)
                    turn = None
                answered = await self._wait_for_lease(key, replay)
                if answered is not None:
                    return answered
            self._held.add(key)
            try:
                # settled by the lease's last owner before it let go (or while this one queued)?
                settled = self.journal.get(key)
                if settled is not None and settled.status == "quarantined" and settled == before:
                    settled = self.journal.answer(key)  # the earlier run's quarantine: asked again
                if settled is not None and settled.status == "quarantined":
                    return Unanswered(settled.reason or "unknown", settled.error or "", settled.attempts)
                if settled is not None:
                    return replay(settled)
                self._start_renewing()
                sending, turn = turn, None  # from here `send` owns the turn
                outcome = await send(sending)
                if (
                    settle is not None
                    and isinstance(outcome, Unanswered)
                    and outcome.reason != BUDGET_EXHAUSTED
                ):
                    settle(outcome)
                return outcome
            finally:
                self._held.discard(key)
                self.journal.release_lease(key, self.owner)
        finally:
            if turn is not None:  # not sent: settled elsewhere, or a journal call failed
                give_back(turn)

    async def _wait_for_lease(self, key: str, replay: Callable[[JournalEntry], Answer]) -> Answer | None:
        """Poll until the lease is ours (None) or its holder's answer lands (that answer)."""
        poll = POLL_FIRST_S
        while not self.journal.take_lease(key, self.owner):
            await asyncio.sleep(poll)
            poll = min(POLL_MAX_S, poll * 2)
            entry = self.journal.answer(key)
            if entry is not None:
                return replay(entry)
        return None

    def _start_renewing(self) -> None:
        if self._renewer is None or self._renewer.done():
            self._renewer = asyncio.get_running_loop().create_task(self._renew())

    async def _renew(self) -> None:
        """Every third of a lease's life while keys are held. A renewal that fails (a locked
        SQLite file, a dropped PostgreSQL connection) is logged and tried again a ninth of the
        life later: ending here would let live requests' leases expire, and another worker
        would send them again."""
        interval = self.journal.lease_s / 3
        while self._held:
            await asyncio.sleep(interval)
            if not self._held:
                break
            try:
                self.journal.renew_leases(self.owner)
                interval = self.journal.lease_s / 3
            except Exception as exc:  # noqa: BLE001 — any journal error: keep the leases alive
                log.warning("could not renew %d request lease(s), trying again: %s", len(self._held), exc)
                interval = self.journal.lease_s / 9

    async def close(self) -> None:
        if self._renewer is not None:
            self._renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewer


def replayed(entry: JournalEntry) -> Answer:
    """A journaled answer, as the client hands it on."""
    return Answer(
        entry.key,
        entry.response_text or "",
        entry.finish_reason,
        entry.prompt_tokens,
        entry.completion_tokens,
        entry.cost_usd or 0.0,
        from_journal=True,
        attempts=0,
    )


def journaled(
    journal: JournalStore,
    prepared: Prepared,
    text: str,
    finish: str | None,
    spend: Spend,
    latency: float,
    attempts: int,
) -> Answer:
    """A fresh answer (`text` already redacted), committed to the journal before anyone uses it."""
    journal.record_answer(
        prepared.key,
        prepared.payload,
        text,
        finish_reason=finish,
        prompt_tokens=spend.prompt_tokens,
        completion_tokens=spend.completion_tokens,
        latency_s=latency,
        attempts=attempts,
        cost_usd=spend.cost_usd,
        usage_estimated=spend.estimated,
        request_json=prepared.canonical,
    )
    return Answer(
        prepared.key,
        text,
        finish,
        spend.prompt_tokens,
        spend.completion_tokens,
        spend.cost_or_zero,
        from_journal=False,
        attempts=attempts,
    )
