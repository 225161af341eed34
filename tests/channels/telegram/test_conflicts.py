"""Two copies on one token: when a copy gives way (exit status 4), and when it must not."""

from __future__ import annotations

import time

from bot.channels.telegram.polling import CONFLICTS_TO_GIVE_WAY, ConflictGuard, PollingRequest


def guard(polled_for: float | None) -> tuple[ConflictGuard, list[str]]:
    """A guard whose copy first polled successfully ``polled_for`` seconds ago (None: never)."""
    request = PollingRequest()
    request.first_success = None if polled_for is None else time.monotonic() - polled_for
    stopped: list[str] = []
    conflicts = ConflictGuard(request, grace=30)
    conflicts.on_give_way = lambda: stopped.append("gave way")
    return conflicts, stopped


def test_one_stale_conflict_after_a_restart_does_not_stop_the_only_copy():
    # A dead copy's late getUpdates cuts off the fresh copy once: that copy keeps serving.
    conflicts, stopped = guard(polled_for=None)
    conflicts.saw_conflict()
    assert not stopped and not conflicts.gave_way


def test_a_new_copy_that_keeps_being_cut_off_gives_way():
    conflicts, stopped = guard(polled_for=1)
    for _ in range(CONFLICTS_TO_GIVE_WAY):
        conflicts.saw_conflict()
    assert stopped == ["gave way"] and conflicts.gave_way
    conflicts.saw_conflict()
    assert stopped == ["gave way"]  # once


def test_the_copy_already_serving_never_gives_way():
    conflicts, stopped = guard(polled_for=300)
    for _ in range(10 * CONFLICTS_TO_GIVE_WAY):
        conflicts.saw_conflict()
    assert not stopped and not conflicts.gave_way


def test_a_new_copy_gives_way_even_when_the_conflicts_outlast_the_grace(monkeypatch):
    # The newer copy took an update before the serving copy's polls began cutting it off; the updater's
    # back-off spreads the conflicts over more seconds than the grace. It still started last.
    now = [1000.0]
    monkeypatch.setattr("bot.channels.telegram.polling.time.monotonic", lambda: now[0])
    conflicts, stopped = guard(polled_for=None)
    conflicts.request.first_success = now[0] - 1
    for _ in range(CONFLICTS_TO_GIVE_WAY):
        conflicts.saw_conflict()
        now[0] += 20  # 40 s from the first conflict to the last: more than the 30 s grace
    assert stopped == ["gave way"]
