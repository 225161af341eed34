"""Per-user flood protection, kept in memory only: :class:`FloodGuard` says when a sender is flooding,
:class:`HoldBack` keeps the newest message of a dropped burst so it is answered once the sender is quiet.
Both channels (the terminal chat and Telegram) follow the same rules."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.core.replies import Hold, Message, User

FORGET_EVERY = 200  # bookkeeping about users who went quiet is pruned this often (messages)


@dataclass
class FloodGuard:
    """Past ``burst`` messages in ``window`` seconds, one 'slow down' note, then silence until the user
    slows down. Other users are never affected.

    The rate is measured on when messages were *sent* (pass ``sent_at``), not when they arrive: ten
    messages written over twenty minutes while the bot was down arrive together but are no flood.
    ``clock`` returns Unix seconds, used when a message has no send time.
    """

    burst: int = 8
    window: float = 10.0
    clock: Callable[[], float] = time.time

    def __post_init__(self) -> None:
        self._recent: dict[int, list[float]] = {}
        self._warned: set[int] = set()
        self._checks = 0

    def check(self, user_id: int | None, sent_at: float | None = None) -> str:
        """'ok', 'warn' (send the note once) or 'drop', for a message ``user_id`` sent at ``sent_at``
        (Unix seconds; None: now)."""
        if user_id is None:
            return "ok"
        now = self.clock()
        at = min(sent_at, now) if sent_at is not None else now
        times = [t for t in self._recent.get(user_id, ()) if abs(at - t) < self.window]
        times.append(at)
        self._recent[user_id] = times
        self._checks += 1
        if self._checks % FORGET_EVERY == 0:
            self._forget_idle(now)  # keep nothing about people who have gone quiet
        if len(times) <= self.burst:
            self._warned.discard(user_id)
            return "ok"
        if user_id in self._warned:
            return "drop"
        self._warned.add(user_id)
        return "warn"

    def _forget_idle(self, now: float) -> None:
        for uid in [u for u, ts in self._recent.items() if not ts or now - max(ts) >= self.window]:
            self._recent.pop(uid, None)
            self._warned.discard(uid)


HOLD_SECONDS = 1.5  # the newest message of a dropped burst is answered once its sender is quiet this long


class HoldBack:
    """The newest message of each sender's dropped burst, kept in memory until it is answered or a newer
    message from the same sender (in the same chat) supersedes it. Never written anywhere; at most one
    message per (chat, sender), and a channel releases each within :data:`HOLD_SECONDS`."""

    def __init__(self, seconds: float = HOLD_SECONDS) -> None:
        self.seconds = seconds
        self._held: dict[tuple[int | None, int | None], tuple[int, User, Message]] = {}
        self._tickets = itertools.count(1)

    def hold(self, user: User, message: Message) -> Hold:
        """Hold ``message`` (replacing any older held one of the same sender); the Hold to release it by."""
        key = (user.chat_id, user.id)
        ticket = next(self._tickets)
        self._held[key] = (ticket, user, message)
        return Hold(key, ticket, self.seconds)

    def answered(self, user: User) -> None:
        """A newer message of this sender is being answered: the held one is superseded."""
        self._held.pop((user.chat_id, user.id), None)

    def forget(self, user_id: int | None) -> None:
        """Drop every message held for this sender, in any chat (/delete: nothing they wrote is acted on
        afterwards)."""
        for key in [k for k in self._held if k[1] == user_id]:
            del self._held[key]

    def take(self, hold: Hold) -> tuple[User, Message] | None:
        """The held message, if ``hold`` is still the newest of its sender (then it is no longer held)."""
        held = self._held.get(hold.key)
        if held is None or held[0] != hold.ticket:
            return None
        del self._held[hold.key]
        return held[1], held[2]

    def __len__(self) -> int:
        return len(self._held)
