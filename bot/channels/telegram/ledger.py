"""Which updates are being handled and which were handled, so that an update is answered once even when
Telegram delivers it again (a crash before it was confirmed, a webhook retried, a long poll that asks
again for what is still being handled).

An update is *claimed* when it comes in, stays *in flight* while its handler (and any answer it holds
back) runs, and is *handled* when that is done. Handled ids are kept in memory (the last
:data:`REMEMBERED` of them) and written to the state file (:class:`HandledUpdates`: ids and times only,
never content), so a restarted process skips what the one before it answered. Long polling confirms to
Telegram only what is handled (:mod:`.poller` asks :meth:`UpdateLedger.oldest_in_flight`).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Collection
from typing import Protocol

REMEMBERED = 5_000  # handled update ids kept in memory (the state file keeps them for 24 hours)
PRUNE_EVERY = 600.0  # seconds between clearing ids older than a day out of the state file (webhook mode)


class HandledUpdates(Protocol):
    """Where handled update ids outlive the process: :class:`bot.runtime.storage.SqliteStore`."""

    def handled_among(self, update_ids: Collection[int]) -> set[int]:
        """Which of ``update_ids`` were handled before."""

    def mark_handled(self, update_id: int) -> None:
        """Record that ``update_id`` was handled."""

    def forget_handled(self, below: int | None = None) -> None:
        """Forget ids Telegram will not deliver again: those under ``below``, and old ones."""


class UpdateLedger:
    """Updates in flight (id → when it was claimed, ``clock`` seconds, with how many pieces of work are
    still running for it) and updates handled (in memory and in ``store``, when given)."""

    def __init__(self, store: HandledUpdates | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.clock = clock
        self._in_flight: dict[int, tuple[float, int]] = {}
        self._handled: OrderedDict[int, None] = OrderedDict()
        self._forgotten_below = 0
        self._pruned = clock()
        self.on_handled: Callable[[int], None] | None = None  # told the id of each update handled (the poller)

    # ------------------------------------------------------------------ coming in
    def claim(self, update_ids: Collection[int]) -> list[int]:
        """The ids among ``update_ids`` that are neither in flight nor handled, now claimed (in flight),
        in the order given. Each id is claimed once, however often it is delivered (twice in one batch
        included)."""
        fresh = [i for i in dict.fromkeys(update_ids) if i not in self._in_flight and i not in self._handled]
        if fresh and self.store is not None:
            done_before = self.store.handled_among(fresh)
            for update_id in done_before:
                self._remember(update_id)
            fresh = [i for i in fresh if i not in done_before]
        now = self.clock()
        for update_id in fresh:
            self._in_flight[update_id] = (now, 1)
        return fresh

    # ------------------------------------------------------------------ handling
    def keep(self, update_id: int) -> None:
        """One more piece of work for an update in flight (an answer it holds back): the update is handled
        only when that is :meth:`done` too."""
        if update_id in self._in_flight:
            since, pieces = self._in_flight[update_id]
            self._in_flight[update_id] = (since, pieces + 1)

    def done(self, update_id: int) -> None:
        """A piece of work for ``update_id`` ended (normally or not: an update whose handler failed is not
        handled again). When it was the last, the update is handled: remembered and written down."""
        since, pieces = self._in_flight.get(update_id, (0.0, 1))
        if pieces > 1:
            self._in_flight[update_id] = (since, pieces - 1)
            return
        self._in_flight.pop(update_id, None)
        self._remember(update_id)
        if self.on_handled is not None:
            self.on_handled(update_id)
        if self.store is not None:
            self.store.mark_handled(update_id)
            if self.clock() - self._pruned > PRUNE_EVERY:
                self._pruned = self.clock()
                self.store.forget_handled()

    def _remember(self, update_id: int) -> None:
        self._handled[update_id] = None
        while len(self._handled) > REMEMBERED:
            self._handled.popitem(last=False)

    # ------------------------------------------------------------------ confirming
    def handled(self, update_id: int) -> bool:
        """True when ``update_id`` was handled (as far as this process knows without reading the file)."""
        return update_id in self._handled

    @property
    def in_flight(self) -> int:
        """How many updates are being handled."""
        return len(self._in_flight)

    def in_flight_from(self, offset: int) -> list[int]:
        """The ids in flight from ``offset`` up, in order: what a poll with that offset must get back."""
        return sorted(i for i in self._in_flight if i >= offset)

    def oldest_in_flight(self, claimed_after: float, above: int) -> int | None:
        """The smallest id in flight that was claimed after ``claimed_after`` (``clock`` seconds) and is
        over ``above``, or None: what long polling must not yet confirm to Telegram."""
        waiting = [i for i, (since, _) in self._in_flight.items() if since > claimed_after and i > above]
        return min(waiting) if waiting else None

    def confirmed(self, offset: int) -> None:
        """Telegram has confirmed every update under ``offset``: it will not deliver them again, so the
        state file need not keep their ids."""
        if self.store is not None and offset > self._forgotten_below:
            self._forgotten_below = offset
            self.store.forget_handled(offset)
