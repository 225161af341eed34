"""Sending rate, per chat: Telegram's overall limit for everything the bot sends, 20 messages a minute
in each group, and a "429 Too Many Requests" honoured for the chat it came from only.

python-telegram-bot's own ``AIORateLimiter`` halts every request after any 429; here one busy group
that Telegram slows down never stops the bot answering anyone else. Answers to button presses and
inline queries are not messages in a chat: they are never throttled or held back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.channels.telegram.delivery import retry_after_seconds
from bot.channels.telegram.updates import outside_slot
from bot.core.limits import GROUP_MESSAGES_PER_MINUTE

log = logging.getLogger(__name__)

GROUP_MAX_RATE = GROUP_MESSAGES_PER_MINUTE  # messages a group may receive per GROUP_PERIOD (Bot FAQ)
GROUP_PERIOD = 60.0  # seconds
UNTHROTTLED = frozenset({"answerCallbackQuery", "answerInlineQuery", "getUpdates"})
MAX_TRACKED_CHATS = 512  # idle per-chat bookkeeping is dropped past this many chats
RETRY_SLACK = 0.1  # seconds added to the wait Telegram asks for

Result = bool | dict[str, Any] | list[dict[str, Any]]


class PerChatRateLimiter(BaseRateLimiter[int]):
    """``overall_max_rate`` messages per ``overall_time_period`` seconds in all, 20 a minute per group;
    after a 429 only that chat waits ``retry_after`` seconds before its next request. The limiter itself
    tries each request once and passes the 429 on (``max_retries`` 0): retrying is
    :func:`.delivery.deliver`'s job alone, so one policy decides how often a reply is sent. Waiting for a
    chat's turn gives the update's working slot back."""

    def __init__(self, overall_max_rate: float, overall_time_period: float = 1.0, max_retries: int = 0) -> None:
        self._overall = AsyncLimiter(overall_max_rate, overall_time_period) if overall_max_rate > 0 else None
        self._groups: dict[int | str, AsyncLimiter] = {}
        self._backoff_until: dict[int | str, float] = {}
        self._max_retries = max_retries

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Result:
        """Make one Bot API request when its chat's turn comes (see the class)."""
        chat = _chat_of(data)
        if chat is None or endpoint in UNTHROTTLED:
            return await callback(*args, **kwargs)
        retries = rate_limit_args if rate_limit_args is not None else self._max_retries
        for attempt in range(retries + 1):
            await self._wait_for_turn(chat)
            try:
                if self._overall is None:
                    return await callback(*args, **kwargs)
                async with self._overall:
                    return await callback(*args, **kwargs)
            except RetryAfter as exc:
                wait = retry_after_seconds(exc) + RETRY_SLACK
                log.info("Telegram asked to slow down in one chat; that chat waits %.1f s.", wait)
                now = asyncio.get_running_loop().time()
                if len(self._backoff_until) >= MAX_TRACKED_CHATS:
                    self._backoff_until = {k: t for k, t in self._backoff_until.items() if t > now}
                self._backoff_until[chat] = max(self._backoff_until.get(chat, 0.0), now + wait)
                if attempt == retries:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def _wait_for_turn(self, chat: int | str) -> None:
        loop = asyncio.get_running_loop()
        while (delay := self._backoff_until.get(chat, 0.0) - loop.time()) > 0:
            async with outside_slot():
                await asyncio.sleep(delay)
        self._backoff_until.pop(chat, None)
        if not _is_group(chat):
            return
        limiter = self._group_limiter(chat)
        if limiter.has_capacity():
            await limiter.acquire()
        else:
            async with outside_slot():
                await limiter.acquire()

    def _group_limiter(self, chat: int | str) -> AsyncLimiter:
        if chat not in self._groups and len(self._groups) >= MAX_TRACKED_CHATS:
            for key, limiter in list(self._groups.items()):
                if limiter.has_capacity(GROUP_MAX_RATE):
                    del self._groups[key]
        return self._groups.setdefault(chat, AsyncLimiter(GROUP_MAX_RATE, GROUP_PERIOD))


def _chat_of(data: dict[str, Any]) -> int | str | None:
    chat = data.get("chat_id")
    if chat is None:
        return None
    try:
        return int(chat)
    except (TypeError, ValueError):
        return str(chat)


def _is_group(chat: int | str) -> bool:
    return isinstance(chat, str) or chat < 0
