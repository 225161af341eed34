"""Reaching Telegram: retry with backoff while it is unreachable, and say so in the log once.

At start the bot keeps calling ``getMe`` (and later ``setWebhook``) until Telegram answers, waiting 1,
2, 4 … up to 60 seconds between tries (each wait varied by up to a tenth, so many bots restarted
together do not retry in step). It logs "Telegram unreachable, retrying" once per outage, then at most
one line every few minutes, and "Telegram reachable again" when it is over. A rejected token
(``InvalidToken``) is not retried: it is raised for the caller to exit with status 3.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError

from bot.channels.telegram.delivery import retry_after_seconds
from bot.channels.telegram.polling import ConflictGuard

log = logging.getLogger(__name__)

UNREACHABLE = "Telegram unreachable, retrying"


@dataclass(frozen=True)
class Backoff:
    """Waits between tries, in seconds: ``first``, doubling up to ``cap``, each times 1 ± ``jitter``."""

    first: float = 1.0
    cap: float = 60.0
    jitter: float = 0.1

    def delay(self, attempt: int, rng: Callable[[], float] = random.random) -> float:
        """The wait after failed try number ``attempt`` (0 for the first), in seconds."""
        base = min(self.cap, self.first * 2 ** min(attempt, 32))
        return base * (1 + self.jitter * (2 * rng() - 1))


@dataclass
class Reachability:
    """Logs outages of Telegram: one line when one starts, a reminder every ``remind_every`` seconds
    while it lasts, one line when it ends."""

    remind_every: float = 300.0
    clock: Callable[[], float] = time.monotonic
    _down_since: float | None = field(default=None, init=False)
    _last_said: float = field(default=0.0, init=False)

    @property
    def down(self) -> bool:
        """True while the last call to Telegram failed on the network."""
        return self._down_since is not None

    def failed(self, error: BaseException) -> None:
        """A call failed on the network (``error`` is named by its type only)."""
        now = self.clock()
        if self._down_since is None:
            self._down_since = self._last_said = now
            log.warning("%s (%s).", UNREACHABLE, type(error).__name__)
        elif now - self._last_said >= self.remind_every:
            self._last_said = now
            log.warning(
                "Telegram still unreachable after %.0f s (%s); retrying.", now - self._down_since, type(error).__name__
            )

    def reached(self) -> None:
        """A call to Telegram succeeded."""
        if self._down_since is not None:
            log.info("Telegram reachable again after %.0f s.", self.clock() - self._down_since)
            self._down_since = None


async def until_reachable(
    action: Callable[[], Awaitable[object]],
    stop: asyncio.Event,
    reachability: Reachability,
    backoff: Backoff = Backoff(),
) -> bool:
    """Call ``action`` until it succeeds (True) or ``stop`` is set (False, at once, even mid-call).

    Network errors, timeouts, 5xx and 429 answers are retried with ``backoff`` (a 429 waits at least
    what Telegram asked); ``InvalidToken`` and other Telegram errors are raised.
    """
    attempt = 0
    while not stop.is_set():
        try:
            if await _unless_stopped(action(), stop):
                reachability.reached()
                return True
            return False
        except InvalidToken:
            raise
        except RetryAfter as exc:
            wait = max(retry_after_seconds(exc), backoff.delay(attempt))
            reachability.failed(exc)
        except NetworkError as exc:  # includes TimedOut; a 5xx answer is a NetworkError too
            wait = backoff.delay(attempt)
            reachability.failed(exc)
        attempt += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), wait)
    return False


async def _unless_stopped(call: Awaitable[object], stop: asyncio.Event) -> bool:
    """Await ``call``; if ``stop`` is set first, cancel it and return False."""
    task = asyncio.ensure_future(call)
    stopper = asyncio.ensure_future(stop.wait())
    try:
        done, _ = await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopper.cancel()
    if task in done:
        task.result()
        return True
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, TelegramError):
        await task
    return False


def polling_error_callback(
    reachability: Reachability, conflicts: ConflictGuard | None = None
) -> Callable[[TelegramError], None]:
    """What the poller (:mod:`.poller`) is told of a failed poll: a network fault while polling is an
    outage ("Telegram unreachable, retrying"), logged by type, never with a traceback or the update; a
    Conflict (another copy polling with the token) goes to ``conflicts``, which decides who gives way."""

    def on_error(error: TelegramError) -> None:
        if isinstance(error, Conflict) and conflicts is not None:
            conflicts.saw_conflict()
        elif isinstance(error, NetworkError) or isinstance(error.__cause__, ValueError):
            reachability.failed(error)  # a page that is not JSON (a proxy's, answered 200) too
        else:
            log.warning("Polling for updates failed (%s); retrying.", type(error).__name__)

    return on_error
