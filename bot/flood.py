"""Per-user flood protection, kept in memory only."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

FORGET_EVERY = 200  # bookkeeping about users who went quiet is pruned this often (messages)


@dataclass
class FloodGuard:
    """Past ``burst`` messages in ``window`` seconds, one 'slow down' note, then silence until the user
    slows down. Other users are never affected. ``clock`` returns seconds."""

    burst: int = 8
    window: float = 10.0
    clock: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        self._recent: dict[int, list[float]] = {}
        self._warned: set[int] = set()
        self._checks = 0

    def check(self, user_id: int | None) -> str:
        """'ok', 'warn' (send the note once) or 'drop'."""
        if user_id is None:
            return "ok"
        now = self.clock()
        times = [t for t in self._recent.get(user_id, ()) if now - t < self.window]
        times.append(now)
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
        for uid in [u for u, ts in self._recent.items() if not ts or now - ts[-1] >= self.window]:
            self._recent.pop(uid, None)
            self._warned.discard(uid)
