"""Sending with retries, and long texts split to fit.

The one retry policy for everything the bot sends (:func:`deliver`; the rate limiter in :mod:`.throttle`
never retries on its own): at most ``DeliveryPolicy.attempts`` calls per message, and a message is sent
again only when it certainly did not reach Telegram, so nobody ever gets the same answer twice:

* 429 ("Too Many Requests"): wait as long as Telegram asks (at most ``max_retry_after`` seconds), giving
  the update's working slot to other chats meanwhile, then try again;
* no connection (refused, unreachable, a connect timeout, no free connection in the pool) and 5xx
  answers (Telegram said it failed): wait ``backoff`` × the attempt number, then try again;
* a read timeout or a connection dropped after the request went out: the outcome is unknown (Telegram
  may well have sent the message, only slowly), so it is not sent again; sends get a read timeout long
  enough for Telegram's slow answers (``SEND_READ_TIMEOUT`` in :mod:`.app`) so this stays rare;
* a user who blocked the bot (403) and a message Telegram refuses (400): not retried.

Nothing is logged with the message's text.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
import logging
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
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
# httpx's errors for a request that never left: no connection could be made, or none was free.
NOT_SENT_CAUSES = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class Outcome(enum.Enum):
    """What became of a message: ``SENT``; ``NOT_SENT`` (certainly not delivered: refused, blocked, or
    given up after retries); ``UNKNOWN`` (it may have been delivered: not sent again)."""

    SENT = "sent"
    NOT_SENT = "not sent"
    UNKNOWN = "unknown"

    def __bool__(self) -> bool:
        return self is Outcome.SENT


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


def certainly_not_sent(error: TelegramError) -> bool:
    """True when a failed call certainly did not reach Telegram, or Telegram answered that it failed
    (5xx): it is safe to send again. python-telegram-bot raises ``TimedOut``/``NetworkError`` from the
    httpx error for a transport fault (only a failed connection is certain), and a plain ``NetworkError``
    for an HTTP error status Telegram answered (with the JSON parsing error as cause, for an HTML page)."""
    cause = error.__cause__
    if isinstance(cause, NOT_SENT_CAUSES):
        return True
    if isinstance(error, NetworkError) and not isinstance(error, TimedOut):
        return cause is None or isinstance(cause, TelegramError)
    return False


async def deliver(call: Callable[[], Awaitable[object]], policy: DeliveryPolicy = DEFAULT_POLICY) -> Outcome:
    """Make one Bot API call that sends something, retrying only what certainly did not reach Telegram
    (see the module). Returns the outcome; a reply not delivered, or whose outcome is unknown, is logged
    without its text. ``ChatMigrated`` (the group became a supergroup) is raised for the caller to send
    to the new chat.
    """
    for attempt in range(1, policy.attempts + 1):
        try:
            await call()
            return Outcome.SENT
        except RetryAfter as exc:
            wait = retry_after_seconds(exc)
            log.info("Telegram asked to slow down; retrying in %.1f s.", wait)
            async with outside_slot():
                await asyncio.sleep(min(wait, policy.max_retry_after) + 0.05)
        except Forbidden:
            log.info("A user has blocked the bot; reply not delivered.")
            return Outcome.NOT_SENT
        except BadRequest as exc:
            log.warning("Telegram refused a reply (%s).", exc.message.split(":")[0][:80])
            return Outcome.NOT_SENT
        except NetworkError as exc:  # TimedOut too
            kind = type(exc.__cause__ or exc).__name__
            if not certainly_not_sent(exc):
                log.warning(
                    "A reply may or may not have reached Telegram (%s); it is not sent again, so it is never doubled.",
                    kind,
                )
                return Outcome.UNKNOWN
            if attempt == policy.attempts:
                log.error("A reply could not be delivered after %d attempts (%s).", attempt, kind)
                return Outcome.NOT_SENT
            await asyncio.sleep(policy.backoff * attempt)
    log.error("A reply could not be delivered after %d attempts (flood wait).", policy.attempts)
    return Outcome.NOT_SENT
