"""Long polling of the bot's own, which confirms to Telegram only what has been handled.

python-telegram-bot's updater confirms a batch of updates as soon as it asks for the next one, before
the batch is handled: a crash or an out-of-memory kill then loses every question in flight. Here each
``getUpdates`` passes as ``offset`` the oldest update still being handled (:class:`~.ledger.UpdateLedger`),
so Telegram keeps delivering it until it is answered; what comes again while it is handled, or after a
restart once it was handled, is skipped by the ledger (:class:`~.intake.Intake`). Each update is read on
its own, so one the library cannot read never blocks the others.

Two limits keep everyone else moving: an update handled for longer than :data:`HOLD_SECONDS` (a group
over Telegram's 20 messages a minute, a long flood wait) and any but the newest :data:`REFETCH_WINDOW`
ids are no longer held back, so each poll still has room for new updates; and while another copy of the
bot is polling the token (:class:`~.polling.ConflictGuard`) every fetched update is confirmed at once, so
the other copy cannot fetch it too. Another copy shows itself by conflicts (HTTP 409), and also when a
poll does not bring back an update this copy holds back, or skips ids since the last one: only another
poller's offset confirms updates this copy never confirmed. While
updates are being held back and nothing new came, the next poll waits :data:`BUSY_REPOLL_SECONDS`, or
less when the last of them is handled (Telegram answers at once while there is anything from the offset on,
so that poll could not wait for new ones): a quiet bot's next poll then waits for new updates as usual.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode

from telegram.error import Conflict, InvalidToken, RetryAfter, TelegramError, TimedOut
from telegram.ext import Application

from bot.channels.telegram.delivery import retry_after_seconds
from bot.channels.telegram.intake import Intake
from bot.channels.telegram.ledger import UpdateLedger
from bot.channels.telegram.polling import CONFLICT_RETRY_SECONDS, ConflictGuard, PollingRequest
from bot.channels.telegram.startup import Backoff

log = logging.getLogger(__name__)

HOLD_SECONDS = 60.0  # an update handled for longer than this no longer holds back confirmation
REFETCH_WINDOW = 50  # at most this many ids are fetched again per poll
GET_UPDATES_LIMIT = 100  # the most updates one getUpdates returns (Bot API)
BUSY_REPOLL_SECONDS = 0.1  # while updates are held back and nothing new came, poll again this much later
# (sooner when none is left in flight; sooner for every handled update cost 15% more CPU under load)
CONFIRM_TIMEOUT = 5.0  # seconds for the last poll at shutdown, which only confirms
BACKOFF = Backoff()  # after a failed poll: 1, 2, 4 … 60 seconds, as when reaching Telegram at start
YIELDING_POLL_SECONDS = 1  # long-poll time while this copy leaves updates to another (ConflictGuard.handling)


class Poller:
    """Polls ``getUpdates`` through ``request`` for ``app`` until stopped (see the module).

    ``timeout`` is the long-poll time Telegram holds a call open (seconds); ``allowed`` the update types
    asked for; ``on_error`` is told of every failed poll (network faults, conflicts), which is then
    retried: at once after a timeout, after ``backoff`` after a network fault, after the wait Telegram
    asks on a 429. A rejected token (``InvalidToken``) ends polling.
    """

    def __init__(
        self,
        app: Application,
        request: PollingRequest,
        intake: Intake,
        conflicts: ConflictGuard,
        *,
        timeout: int,
        allowed: Sequence[str],
        on_error: Callable[[TelegramError], None] | None = None,
        backoff: Backoff = BACKOFF,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.request = request
        self.intake = intake
        self.ledger: UpdateLedger = intake.ledger
        self.conflicts = conflicts
        self.timeout = timeout
        self.allowed = list(allowed)
        self.on_error = on_error
        self.backoff = backoff
        self.clock = clock
        self.highest: int | None = None  # the highest update id fetched
        self._offset: int | None = None
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self._left: list[int] = []  # ids the last poll brought that this copy left to another one
        self._resumed = False  # True until the first batch taken after leaving some to another copy
        self._settled = asyncio.Event()  # set when the last update in flight is handled
        self.ledger.on_handled = self._handled

    # ------------------------------------------------------------------ running
    def start(self) -> None:
        """Start polling in a task of the running loop."""
        self._stop.clear()
        self._task = asyncio.get_running_loop().create_task(self.run(), name="kyr-bot long polling")

    async def stop(self) -> None:
        """Stop polling; a long poll in progress is cancelled (it confirmed nothing new)."""
        self._stop.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    @property
    def running(self) -> bool:
        """True while the polling task runs."""
        return self._task is not None and not self._task.done()

    async def run(self) -> None:
        """Poll until stopped, the token is rejected or this copy gives way to another."""
        failures = 0
        while not self._stop.is_set() and not self.conflicts.gave_way:
            pause = self.conflicts.pause()
            if pause > 0:
                await self._wait(pause)
                continue
            probe = self.conflicts.probe_left
            timeout = self.timeout if probe is None else max(1, min(self.timeout, math.ceil(probe)))
            if not self.conflicts.handling:
                timeout = min(timeout, YIELDING_POLL_SECONDS)  # look again soon: the copy may answer by then
            self._settled.clear()
            try:
                batch = await self.poll(timeout)
            except InvalidToken:
                log.debug("Telegram rejected the token; polling ends.")  # the runner exits with status 3
                return
            except RetryAfter as exc:
                await self._wait(retry_after_seconds(exc) + 0.5)
            except TimedOut as exc:
                self._tell(exc)  # a stalled or dropped long poll: ask again at once
            except Conflict as exc:
                self._tell(exc)
                await self._wait(CONFLICT_RETRY_SECONDS)
            except TelegramError as exc:
                self._tell(exc)
                await self._wait(self.backoff.delay(failures))
                failures += 1
            except Exception as exc:  # never let polling die silently
                log.error("Polling for updates failed unexpectedly (%s); retrying.", type(exc).__name__)
                await self._wait(self.backoff.delay(failures))
                failures += 1
            else:
                failures = 0
                self.conflicts.poll_answered()
                if not self.conflicts.handling:  # another copy may be serving: left to it, unconfirmed
                    self._resumed = True
                    self._watch(batch)
                    if batch:
                        await self._wait(CONFLICT_RETRY_SECONDS)
                    continue
                self._left = []
                self._fetched(batch)
                new = await self.intake.take(batch)
                if not new and self._holding():  # Telegram answers at once while it holds: not too often
                    await self._wait(BUSY_REPOLL_SECONDS, until=self._settled)

    async def poll(self, timeout: int) -> list[Any]:
        """One ``getUpdates`` (held open ``timeout`` seconds when there is nothing new): Telegram's
        updates as JSON objects. Confirms to Telegram, by its offset, every update handled so far."""
        offset = self.next_offset()
        params: dict[str, Any] = {"timeout": timeout, "allowed_updates": json.dumps(self.allowed)}
        if offset is not None:
            params["offset"] = offset
        self.conflicts.polling()
        held = self.ledger.in_flight_from(offset) if offset is not None else []
        url = f"{self.app.bot.base_url}/getUpdates?{urlencode(params)}"
        read_timeout = (self.request.read_timeout or 0) + timeout
        result = await self.request.post(url, read_timeout=read_timeout)
        if offset is not None:
            self.ledger.confirmed(offset)
        batch = result if isinstance(result, list) else []
        self._check_held(held, _ids(batch), full=len(batch) >= GET_UPDATES_LIMIT)
        return batch

    def _watch(self, batch: list[Any]) -> None:
        """``batch`` is left to another copy, unconfirmed (this copy's offsets never pass an id it did not
        take): if an update the previous such poll brought is gone, another copy confirmed it."""
        ids = [i for i in _ids(batch) if self.highest is None or i > self.highest]
        top = max(ids) if ids and len(batch) >= GET_UPDATES_LIMIT else None
        present = set(ids)
        if any(i not in present and (top is None or i <= top) for i in self._left):
            self.conflicts.saw_other_poller()
        self._left = ids

    def _fetched(self, batch: list[Any]) -> None:
        """``batch`` is taken in: the next offsets count from its highest id. Telegram numbers updates one
        after another, so ids skipped since the last batch were confirmed by another copy polling."""
        ids = _ids(batch)
        if not ids:
            return
        if self.highest is None or self._resumed:  # ids skipped while this copy looked on say nothing new
            self._resumed = False
            self.highest = max(self.highest if self.highest is not None else ids[0], *ids)
            return
        newer = [i for i in ids if i > self.highest]
        if newer and min(newer) > self.highest + 1:
            self.conflicts.saw_other_poller()
        self.highest = max(self.highest, *ids)

    def _check_held(self, held: list[int], ids: list[int], full: bool) -> None:
        """Telegram keeps an update until a poll's offset passes it: one this copy held back that did not
        come back was confirmed by another copy polling the token."""
        if not held:
            return
        top = max(ids) if full and ids else held[-1]
        returned = set(ids)
        if any(update_id not in returned for update_id in held if update_id <= top):
            self.conflicts.saw_other_poller()

    def next_offset(self) -> int | None:
        """The ``offset`` of the next poll: the oldest update still being handled (see the module), else
        one past the highest fetched; None before the first batch (whatever Telegram still has)."""
        if self.highest is None:
            return self._offset
        offset = self.highest + 1
        if not self.conflicts.contended:
            held = self.ledger.oldest_in_flight(self.clock() - HOLD_SECONDS, self.highest - REFETCH_WINDOW)
            if held is not None:
                offset = min(offset, held)
        self._offset = max(self._offset or 0, offset)
        return self._offset

    def unconfirmed_in_flight(self) -> int:
        """How many updates in flight Telegram has not been told of (it delivers them again after a
        restart); the others were in flight too long (:data:`HOLD_SECONDS`) and are already confirmed."""
        return len(self.ledger.in_flight_from(self._offset)) if self._offset is not None else self.ledger.in_flight

    async def confirm(self) -> None:
        """At shutdown: confirm to Telegram what was handled, up to the oldest update still in flight and
        not yet confirmed, however long it has waited (a stop cut it short: the next start answers it)."""
        if self.highest is None:
            return
        sent = self._offset  # the offset of the last poll: Telegram still has every update from it on
        waiting = self.ledger.in_flight_from(sent if sent is not None else 0)
        offset = self.next_offset()  # (it passes an update waiting for over a minute: not at a stop)
        if waiting and offset is not None and waiting[0] < offset:
            offset = self._offset = waiting[0]
        params = {"offset": offset, "timeout": 0, "allowed_updates": json.dumps(self.allowed)}
        url = f"{self.app.bot.base_url}/getUpdates?{urlencode(params)}"
        try:
            await self.request.post(url, read_timeout=CONFIRM_TIMEOUT)
            if offset is not None:
                self.ledger.confirmed(offset)
        except TelegramError as exc:
            log.info("Could not confirm the last updates to Telegram (%s); a restart skips them.", type(exc).__name__)

    # ------------------------------------------------------------------ helpers
    def _holding(self) -> bool:
        """True when the next poll will ask again for updates still being handled."""
        offset = self.next_offset()
        return offset is not None and self.highest is not None and offset <= self.highest

    def _handled(self, update_id: int) -> None:
        if self.ledger.in_flight == 0:  # the next poll may wait for new updates: no reason to sit out the gap
            self._settled.set()

    async def _wait(self, seconds: float, until: asyncio.Event | None = None) -> None:
        """Wait ``seconds``, or less when polling stops or ``until`` is set."""
        if until is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), seconds)
            return
        if until.is_set():
            return
        waits = [asyncio.ensure_future(self._stop.wait()), asyncio.ensure_future(until.wait())]
        try:
            await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in waits:
                waiting.cancel()

    def _tell(self, error: TelegramError) -> None:
        log.debug("A poll failed.", exc_info=error)  # where, for a developer (messages withheld: logsafe)
        if self.on_error is not None:
            self.on_error(error)
        else:
            log.warning("Polling for updates failed (%s); retrying.", type(error).__name__)


def _ids(batch: list[Any]) -> list[int]:
    return [u["update_id"] for u in batch if isinstance(u, dict) and isinstance(u.get("update_id"), int)]
