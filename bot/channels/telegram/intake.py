"""Taking updates in, the same way in long polling and in webhook mode: each update read on its own,
claimed once in the :class:`~.ledger.UpdateLedger`, then queued for the Application.

python-telegram-bot reads a whole ``getUpdates`` answer at once, so one update it cannot read (a Bot API
server older or newer than the library expects, e.g. a poll without the fields the library requires)
fails the whole batch, which is then fetched again and again. Here such an update is skipped: marked
handled (so long polling confirms it), counted, and logged once without its content; everyone else is
answered. An update of a type the bot never asked for (not in ``allowed``: e.g. a business message, from
a server that does not honour ``allowed_updates``) is skipped too, and never answered.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Sequence
from typing import Any

from telegram import Update
from telegram.ext import Application

from bot.channels.telegram.ledger import UpdateLedger

log = logging.getLogger(__name__)

REMIND_EVERY = 300.0  # seconds between reminders while unreadable updates keep coming


class Intake:
    """Reads, claims and queues updates for ``app`` (see the module). ``unreadable`` and ``unasked``
    count the updates skipped."""

    def __init__(
        self,
        app: Application,
        ledger: UpdateLedger,
        allowed: Collection[str],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.ledger = ledger
        self.allowed = frozenset(allowed)
        self.clock = clock
        self.unreadable = 0
        self.unasked = 0
        self._told: float | None = None
        self._unasked_kinds: set[str] = set()

    async def take(self, batch: Sequence[Any]) -> int:
        """Queue the updates of ``batch`` (Telegram's JSON objects, in order) not seen before. Returns how
        many were new (queued or skipped); an update delivered again is not counted nor queued again."""
        ids = [data["update_id"] for data in batch if _update_id(data) is not None]
        fresh = set(self.ledger.claim(ids))
        new = len(fresh)
        for data in batch:
            update_id = _update_id(data)
            if update_id is None or update_id not in fresh:
                continue
            fresh.discard(update_id)  # the same update twice in one batch: taken once
            update = self.read(data)
            if update is None:
                self.ledger.done(update_id)  # settled: confirmed to Telegram like any handled update
            else:
                await self.app.update_queue.put(update)
        return new

    def read(self, data: dict[str, Any]) -> Update | None:
        """The update in ``data``, or None when it is not one the bot asked for or cannot be read."""
        kind = next((key for key in data if key != "update_id"), "")
        if kind not in self.allowed:
            self.unasked += 1
            if kind not in self._unasked_kinds and len(self._unasked_kinds) < len(self.allowed) + 16:
                self._unasked_kinds.add(kind)
                log.info("Updates of a type the bot did not ask for are ignored (%s).", kind[:40] or "empty")
            return None
        try:
            return Update.de_json(data, self.app.bot)
        except Exception as exc:  # the library's own reading, whatever it raises: never the whole batch
            self.unreadable += 1
            self._tell(type(exc).__name__)
            return None

    def _tell(self, error: str) -> None:
        now = self.clock()
        if self._told is None:
            self._told = now
            log.warning(
                "An update Telegram sent could not be read (%s: is the Bot API server older or newer than "
                "python-telegram-bot?); it was skipped and everyone else is answered. Its content is not logged.",
                error,
            )
        elif now - self._told >= REMIND_EVERY:
            self._told = now
            log.warning("%d updates in all were skipped because they could not be read (%s).", self.unreadable, error)


def _update_id(data: Any) -> int | None:
    if not isinstance(data, dict):
        return None
    update_id = data.get("update_id")
    return update_id if isinstance(update_id, int) and not isinstance(update_id, bool) else None
