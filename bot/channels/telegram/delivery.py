"""Sending with retries, and long texts split to fit.

The one retry policy for everything the bot sends (:func:`deliver`; the rate limiter in :mod:`.throttle`
never retries on its own): at most ``DeliveryPolicy.attempts`` calls per message. A 429 ("Too Many
Requests") waits as long as Telegram asks (at most ``max_retry_after`` seconds), giving the update's
working slot to other chats meanwhile, then tries again; a network fault or a 5xx waits ``backoff`` ×
the attempt number; a user who blocked the bot (403) and a message Telegram refuses (400) are not
retried. Nothing is logged with the message's text.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.warnings import PTBDeprecationWarning

from bot.channels.telegram.updates import outside_slot
from bot.core.limits import MESSAGE_TEXT_CHARS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryPolicy:
    """How hard to try: ``attempts`` calls at most, ``backoff`` seconds times the attempt number after a
    network fault, and at most ``max_retry_after`` seconds of a flood wait Telegram asks for."""

    attempts: int = 4
    backoff: float = 0.5
    max_retry_after: float = 60.0


DEFAULT_POLICY = DeliveryPolicy()


def split_text(text: str, limit: int = MESSAGE_TEXT_CHARS) -> list[str]:
    """Split at paragraph boundaries so no part is over ``limit`` characters (answers are composed to
    fit; this is a safety net for anything longer)."""
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for para in text.split("\n\n"):
        candidate = f"{current}\n\n{para}" if current else para
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
        while len(para) > limit:
            parts.append(para[:limit])
            para = para[limit:]
        current = para
    if current:
        parts.append(current)
    return parts


def retry_after_seconds(exc: RetryAfter) -> float:
    """The wait Telegram asked for, in seconds (PTB 22 warns that the attribute becomes a timedelta)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        after = exc.retry_after
    return after.total_seconds() if isinstance(after, dt.timedelta) else float(after)


async def deliver(call: Callable[[], Awaitable[object]], policy: DeliveryPolicy = DEFAULT_POLICY) -> bool:
    """Make one Bot API call that sends something, riding out flood waits and passing network faults.

    429: wait as long as Telegram says (giving the update's working slot to other chats meanwhile), then
    try again (the message is delivered once). 5xx, dropped connections and timeouts: a few retries with
    a short back-off. A user who blocked the bot (403) and a refused message (400) are not retried. A
    reply that finally fails is logged without its text. Returns True when the call succeeded.
    ``ChatMigrated`` (the group became a supergroup) is raised for the caller to send to the new chat.
    """
    for attempt in range(1, policy.attempts + 1):
        try:
            await call()
            return True
        except RetryAfter as exc:
            wait = retry_after_seconds(exc)
            log.info("Telegram asked to slow down; retrying in %.1f s.", wait)
            async with outside_slot():
                await asyncio.sleep(min(wait, policy.max_retry_after) + 0.05)
        except Forbidden:
            log.info("A user has blocked the bot; reply not delivered.")
            return False
        except BadRequest as exc:
            log.warning("Telegram refused a reply (%s).", exc.message.split(":")[0][:80])
            return False
        except (TimedOut, NetworkError) as exc:
            if attempt == policy.attempts:
                log.error("A reply could not be delivered after %d attempts (%s).", attempt, type(exc).__name__)
                return False
            await asyncio.sleep(policy.backoff * attempt)
    log.error("A reply could not be delivered after %d attempts (flood wait).", policy.attempts)
    return False
