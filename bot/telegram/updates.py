"""Update plumbing: each chat's updates in order while different chats run at once, and updates
Telegram delivers twice answered once."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import ApplicationHandlerStop, BaseUpdateProcessor, ContextTypes

SEEN_UPDATES = 2048  # how many recent update ids to remember, so a redelivered update is answered once


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Handles updates from different chats at the same time, and each chat's updates in order.

    With Telegram's real round trip (tens of milliseconds a call), one-at-a-time handling would cap the
    bot at a few answers a second; this keeps many conversations moving while a person who sends two
    messages still gets the answers in the order they asked.
    """

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run ``coroutine`` after the same chat's earlier updates."""
        key = None
        if isinstance(update, Update):
            if update.effective_chat is not None:
                key = update.effective_chat.id
            elif update.effective_user is not None:
                key = update.effective_user.id
        if key is None:
            await coroutine
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                del self._waiting[key]
                del self._locks[key]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""


class DuplicateGuard:
    """Remembers the last 2,048 update ids (in memory only)."""

    def __init__(self, size: int = SEEN_UPDATES) -> None:
        self.size = size
        self._seen: OrderedDict[int, None] = OrderedDict()

    async def __call__(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Runs before every handler: an update id seen before is not answered again."""
        if not isinstance(update, Update):
            return
        if update.update_id in self._seen:
            raise ApplicationHandlerStop
        self._seen[update.update_id] = None
        while len(self._seen) > self.size:
            self._seen.popitem(last=False)
