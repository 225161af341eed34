"""Update plumbing: each chat's updates in order while different chats run at once, each update marked
handled in the :class:`~.ledger.UpdateLedger` when its handler is done (updates Telegram delivers twice are
claimed once at intake, :mod:`.intake`)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable
from contextvars import ContextVar
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.channels.telegram.ledger import UpdateLedger

MAX_PENDING_UPDATES = 100_000  # updates waiting for their chat's turn or a slot (memory bound only)


class _Slot:
    """One of the shared working slots, as held by the update being handled in this task."""

    def __init__(self, semaphore: asyncio.Semaphore) -> None:
        self.semaphore = semaphore
        self.held = False


_CURRENT_SLOT: ContextVar[_Slot | None] = ContextVar("kyr_current_slot", default=None)


@contextlib.asynccontextmanager
async def outside_slot() -> AsyncIterator[None]:
    """Give the current update's shared slot back while waiting (a flood wait, a chat's throttle),
    so one slow chat never keeps other chats waiting; take a slot again afterwards. Does nothing
    outside an update."""
    slot = _CURRENT_SLOT.get()
    if slot is None or not slot.held:
        yield
        return
    slot.semaphore.release()
    slot.held = False
    try:
        yield
    finally:
        await slot.semaphore.acquire()
        slot.held = True


def chat_key(update: object) -> int | None:
    """Whose turn an update waits for: its chat (or its sender outside chats). None for button presses
    and inline queries, which are answered at once, outside any chat's queue."""
    if not isinstance(update, Update) or update.callback_query is not None or update.inline_query is not None:
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return None


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Handles updates from different chats at the same time, and each chat's updates in order.

    An update first waits for its chat's turn, and only then for one of ``max_concurrent_updates``
    shared slots: a busy chat's queued updates never hold slots other chats need. A handler that has to
    wait (a flood wait Telegram asked for) gives its slot back meanwhile (:func:`outside_slot`). When a
    handler is done (or failed), its update is marked handled in ``ledger`` before its slot is freed.
    """

    def __init__(self, max_concurrent_updates: int, ledger: UpdateLedger | None = None) -> None:
        super().__init__(MAX_PENDING_UPDATES)
        self.ledger = ledger
        self.slots = max_concurrent_updates
        self._semaphore_slots = asyncio.Semaphore(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run ``coroutine`` after the same chat's earlier updates, in a shared slot."""
        key = chat_key(update)
        if key is None:
            await self._in_slot(update, coroutine)
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                await self._in_slot(update, coroutine)
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                del self._waiting[key]
                del self._locks[key]

    async def _in_slot(self, update: object, coroutine: Awaitable[Any]) -> None:
        slot = _Slot(self._semaphore_slots)
        await slot.semaphore.acquire()
        slot.held = True
        token = _CURRENT_SLOT.set(slot)
        finished = False  # a handler cancelled at shutdown is not handled: it stays unconfirmed
        try:
            await coroutine
            finished = True
        except Exception:
            finished = True  # a handler that failed is not run again (the error handlers logged it)
            raise
        finally:
            _CURRENT_SLOT.reset(token)
            if finished and self.ledger is not None and isinstance(update, Update):
                self.ledger.done(update.update_id)
            if slot.held:
                slot.semaphore.release()

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""
