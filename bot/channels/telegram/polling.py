"""Long polling with two copies of the bot on one token, on different machines (on one machine, the lock
on the data folder stops a second copy before it starts: :mod:`bot.runtime.lock`).

Telegram hands each update to one ``getUpdates`` caller only, and answers a waiting call with "409
Conflict: terminated by other getUpdates request" whenever another one arrives: with two copies polling,
each keeps cutting the other off. Neither can see the other, only the conflicts, so they settle it
like this (:class:`ConflictGuard`):

Another copy also shows itself when an update this copy saw, and did not confirm, does not come back,
or when the ids Telegram numbers one after another skip some: only a poll's offset confirms an update,
so another copy confirmed them (this is how copies busy with a stream of updates, whose polls return at
once and are never cut off, find each other). Each sign counts as a *conflict* below.

* A copy that met :data:`CONFLICTS_TO_STEP_BACK` conflicts within a minute *steps back*: it stops polling
  for :data:`STEP_BACK_SECONDS` to three times that (at random, so that two copies stepping back together
  part), then polls again for :data:`PROBE_SECONDS`. If it meets a conflict during
  that probe, another copy is still polling: this one gives way (exit status 4). If not, the other one has
  gone (or gave way itself) and this one carries on, and from then on holds its ground as if it had been
  serving first. A copy that gives way never polls again, so the copy that cut it off is never cut off
  in turn: at least one copy always keeps serving.
* A copy that had been polling for ``grace`` seconds (``KYR_CONFLICT_GRACE``) when the conflicts began
  holds its ground: it steps back only if they last :data:`HOLD_GROUND_SECONDS`. So the copy started later
  is the one that steps back, is cut off during its probe, and gives way. Two copies started within
  ``grace`` seconds of each other settle on one of them.
* A copy that may give way answers nothing meanwhile (:attr:`ConflictGuard.handling`): for its first
  :data:`LISTEN_SECONDS` of polling (time for a copy already serving to cut it off), while it met a
  conflict in the last :data:`YIELD_QUIET_SECONDS`, and while it steps back and probes. What it fetches
  then it neither answers nor confirms, so the copy that serves answers it (or this one does, later, if it
  carries on): no question is answered by both copies, none is lost.
* A single conflict (a stopped copy's last request) changes nothing.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import Any

from telegram.request import HTTPXRequest

from bot.runtime.exitcodes import ANOTHER_COPY

log = logging.getLogger(__name__)

CONFLICT_EXIT_STATUS = ANOTHER_COPY  # distinct, so a supervisor does not restart the copy that gave way
CONFLICT_GRACE_SECONDS = 30.0
CONFLICTS_TO_STEP_BACK = 3  # a single 409 can be a stopped copy's late request: only a copy that is really
CONFLICT_WINDOW_SECONDS = 60.0  # polling keeps cutting this one off, several times a minute
CONFLICT_RETRY_SECONDS = 0.5  # wait after a conflict before polling again
STEP_BACK_SECONDS = 2.5  # at least (up to three times as long, at random: two copies stepping back at once
PROBE_SECONDS = 1.5  # seldom probe at once); a probe outlasts the other copy's retry after a conflict
HOLD_GROUND_SECONDS = 45.0  # conflicts a copy that was serving first rides out before it steps back too
LISTEN_SECONDS = 1.0  # a new copy's first polls answer nothing: a copy already serving cuts it off by then
YIELD_QUIET_SECONDS = 2.0  # a copy that may give way answers again once no conflict came for this long


class PollingRequest(HTTPXRequest):
    """The connection ``getUpdates`` uses (python-telegram-bot keeps a separate client for it): tells
    ``on_answer`` the HTTP status of every answer (an answered poll is the bot's heartbeat; a 401/404
    means the token was revoked)."""

    def __init__(self, on_answer: Callable[[int], None] | None = None, **kwargs: Any) -> None:
        # Two connections: the last poll at shutdown, which confirms, never waits for the long poll it
        # has just cancelled to give its connection back.
        super().__init__(connection_pool_size=2, **kwargs)
        self.on_answer = on_answer

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        """As :class:`HTTPXRequest`; returns (HTTP status, body)."""
        status, payload = await super().do_request(*args, **kwargs)
        if self.on_answer is not None:
            self.on_answer(status)
        return status, payload


class ConflictGuard:
    """Decides, from the conflicts this copy meets, when it steps back, probes, carries on or gives way
    (see the module). The poller calls :meth:`polling` before each poll, :meth:`pause` for how long to
    wait first, :meth:`saw_conflict` on a 409 and :meth:`poll_answered` on an answer. ``clock`` is
    monotonic seconds."""

    def __init__(
        self,
        grace: float = CONFLICT_GRACE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.grace = grace  # 0: this copy holds its ground from its first poll (and need not listen first)
        self.clock = clock
        self.rng = rng
        self.on_give_way: Callable[[], None] | None = None  # set by the runner: end with exit status 4
        self.gave_way = False
        self.began: float | None = None  # when this copy first polled
        self._conflicts: list[float] = []
        self._young = True
        self._took_over = False  # a probe found no other copy: from then on this copy holds its ground
        self._back_until: float | None = None
        self._probe_until: float | None = None

    # ------------------------------------------------------------------ what the poller asks
    def polling(self) -> None:
        """A poll is about to be sent."""
        if self.began is None:
            self.began = self.clock()

    def pause(self) -> float:
        """Seconds to wait before the next poll (while stepping back; then the probe begins)."""
        if self._back_until is None:
            return 0.0
        left = self._back_until - self.clock()
        if left > 0:
            return left
        self._back_until = None
        self._probe_until = self.clock() + PROBE_SECONDS
        return 0.0

    @property
    def probe_left(self) -> float | None:
        """Seconds left of the probe, or None when not probing (the poller polls no longer than that)."""
        return None if self._probe_until is None else max(self._probe_until - self.clock(), 0.0)

    @property
    def handling(self) -> bool:
        """False while this copy must leave what it fetches to another copy that may be serving (see the
        module): the poller then neither answers nor confirms it."""
        now = self.clock()
        if self._back_until is not None or self._probe_until is not None:
            return False
        if self.grace > 0 and (self.began is None or now - self.began < LISTEN_SECONDS):
            return False
        return not (self._young and self._conflicts and now - self._conflicts[-1] < YIELD_QUIET_SECONDS)

    @property
    def contended(self) -> bool:
        """True while another copy may be polling (a conflict in the last minute, stepping back or
        probing): the poller then confirms what it fetches at once, so the other copy cannot fetch it too."""
        recent = bool(self._conflicts) and self.clock() - self._conflicts[-1] < CONFLICT_WINDOW_SECONDS
        return recent or self._back_until is not None or self._probe_until is not None

    # ------------------------------------------------------------------ what happened
    def poll_answered(self) -> None:
        """Telegram answered a poll: a probe that has lasted its time without a conflict is over."""
        if self._probe_until is not None and self.clock() >= self._probe_until:
            self._carry_on()

    def saw_other_poller(self) -> None:
        """An update this copy had seen and not confirmed did not come back: another copy polling the
        token confirmed it (seen even when busy polls are never cut off). Counts as a conflict."""
        self.saw_conflict()

    def saw_conflict(self) -> None:
        """A poll was cut off by another copy's (HTTP 409)."""
        if self.gave_way or self._back_until is not None:
            return
        now = self.clock()
        if self._probe_until is not None:
            if now < self._probe_until:
                self._give_way()
                return
            self._carry_on()
        self._record(now)

    def _record(self, now: float) -> None:
        self._conflicts = [t for t in self._conflicts if now - t < CONFLICT_WINDOW_SECONDS] + [now]
        if len(self._conflicts) == 1:
            began = self.began if self.began is not None else now
            self._young = not self._took_over and now - began < self.grace
            standing = "may give way" if self._young else "holds its ground"
            log.warning("Another copy of this bot is polling with the same token; this copy %s.", standing)
        lasted = now - self._conflicts[0]
        if len(self._conflicts) >= CONFLICTS_TO_STEP_BACK and (self._young or lasted >= HOLD_GROUND_SECONDS):
            back = STEP_BACK_SECONDS * (1 + 2 * self.rng())
            self._back_until = now + back
            log.info("Stepping back for %.1f s to see whether the other copy keeps polling.", back)

    def _carry_on(self) -> None:
        self._probe_until = None
        self._conflicts = []
        self._took_over = True
        log.info("No other copy cut this one off while it probed; it carries on serving.")

    def _give_way(self) -> None:
        self.gave_way = True
        self._probe_until = None
        log.warning(
            "The other copy of this bot keeps polling with the same token; this copy gives way and stops "
            "(exit status %d).",
            CONFLICT_EXIT_STATUS,
        )
        if self.on_give_way is not None:
            self.on_give_way()
