"""Long polling with two copies of the bot on one token.

Telegram hands each update to one ``getUpdates`` caller only, and answers the earlier waiting call
with "409 Conflict: terminated by other getUpdates request" whenever another one arrives. With two
copies polling, each keeps cutting the other off. The copy started last gives way: a copy that meets
a Conflict before it has been polling successfully for ``grace`` seconds stops and exits with status
4; the copy that was already serving keeps serving.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from telegram.error import Conflict
from telegram.ext import Application, ApplicationHandlerStop, ContextTypes
from telegram.request import HTTPXRequest

from bot.runtime.exitcodes import ANOTHER_POLLER

log = logging.getLogger(__name__)

CONFLICT_EXIT_STATUS = ANOTHER_POLLER  # distinct, so a supervisor does not restart the copy that gave way
CONFLICT_GRACE_SECONDS = 30.0
CONFLICTS_TO_GIVE_WAY = 3  # a single 409 can be a dead copy's late request (a restart): only a copy that is
CONFLICT_WINDOW_SECONDS = 60.0  # really polling keeps cutting this one off, several times a minute


class PollingRequest(HTTPXRequest):
    """The connection ``getUpdates`` uses (python-telegram-bot keeps a separate client for it): remembers
    when a poll first succeeded (monotonic seconds) and tells ``on_answer`` the HTTP status of every
    answer (an answered poll is the bot's heartbeat; a 401/404 means the token was revoked)."""

    def __init__(self, on_answer: Callable[[int], None] | None = None, **kwargs: Any) -> None:
        super().__init__(connection_pool_size=1, **kwargs)
        self.on_answer = on_answer
        self.first_success: float | None = None

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        """As :class:`HTTPXRequest`, noting the first HTTP 200; returns (HTTP status, body)."""
        status, payload = await super().do_request(*args, **kwargs)
        if status == 200 and self.first_success is None:
            self.first_success = time.monotonic()
        if self.on_answer is not None:
            self.on_answer(status)
        return status, payload


class ConflictGuard:
    """An error handler for failed polls: on a Conflict, one plain log line, and the newer copy stops
    (``gave_way``); the Application's other error handlers never see a Conflict."""

    def __init__(self, request: PollingRequest, grace: float = CONFLICT_GRACE_SECONDS) -> None:
        self.request = request
        self.grace = grace
        self.app: Application | None = None
        self.on_give_way: Callable[[], None] | None = None  # set by the runner: end with exit status 4
        self.gave_way = False
        self._told = False
        self._conflicts: list[float] = []  # monotonic seconds of recent conflicts

    @property
    def established(self) -> bool:
        """True once this copy has been polling successfully for ``grace`` seconds."""
        return self._established_at(time.monotonic())

    def _established_at(self, moment: float) -> bool:
        first = self.request.first_success
        return first is not None and moment - first >= self.grace

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Registered before the other error handlers; the updater retries a failed poll by itself."""
        if update is not None or not isinstance(context.error, Conflict):
            return
        self.saw_conflict()
        raise ApplicationHandlerStop

    def saw_conflict(self) -> None:
        """A poll was cut off by another copy's: give way when this copy is the newer one and the other
        keeps polling (CONFLICTS_TO_GIVE_WAY conflicts within CONFLICT_WINDOW_SECONDS)."""
        if self.gave_way:
            return
        now = time.monotonic()
        self._conflicts = [t for t in self._conflicts if now - t < CONFLICT_WINDOW_SECONDS] + [now]
        if len(self._conflicts) < CONFLICTS_TO_GIVE_WAY:
            return
        # Who was serving is judged when the conflicts began: a newer copy that took a few updates before
        # the other copy's polls cut it off must not count the seconds spent being cut off as serving.
        if not self._established_at(self._conflicts[0]):
            self.gave_way = True
            log.warning(
                "Another copy of this bot is polling with the same token; this copy started last, so it "
                "stops (exit status %d).",
                CONFLICT_EXIT_STATUS,
            )
            if self.on_give_way is not None:
                self.on_give_way()
            elif self.app is not None:
                self.app.stop_running()
            return
        if not self._told:
            self._told = True
            log.warning("Another copy of this bot is polling with the same token; this copy keeps serving.")
