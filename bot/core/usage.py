"""Usage counts: what the core reports so an operator can say how many people asked, about what and in which
language, and how often the bot could not answer. Counts only: never a user id, a chat id, a name or a
word of what anyone wrote.

The core calls a :class:`UsageLog` once per question (its route from :data:`bot.matching.decision.ROUTES`,
the entry shown and the reply language), once per button press (the button's kind, :data:`BUTTON_KINDS`)
and once per inline result someone picked. The composition root (:mod:`bot.app`) wires it: the running
bot counts per UTC day in its SQLite file (:class:`bot.runtime.records.SqliteUsage`); the terminal chat and
``kyr-bot ask`` count nothing (:class:`NoUsage`); tests count in memory (:class:`MemoryUsage`).
"""

from __future__ import annotations

from collections import Counter
from typing import Protocol


class UsageLog(Protocol):
    """Where the core reports what happened, as counts."""

    def record(self, route: str, entry_id: str | None, lang: str) -> None:
        """A question was answered on ``route``; ``entry_id`` is the entry shown (an answer, small talk, an
        emergency screen, or the out-of-scope entry a fallback explains; None when none was shown);
        ``lang`` is the reply's language."""

    def record_button(self, kind: str) -> None:
        """A button was pressed; ``kind`` is what it does (one of :data:`bot.core.callbacks.BUTTON_KINDS`)."""

    def record_inline_chosen(self) -> None:
        """Someone sent one of the bot's inline results into a chat (Telegram reports it only when inline
        feedback is on: BotFather's /setinlinefeedback)."""


class NoUsage:
    """Counts nothing (the terminal chat, ``kyr-bot ask``)."""

    def record(self, route: str, entry_id: str | None, lang: str) -> None:
        """Nothing is counted."""

    def record_button(self, kind: str) -> None:
        """Nothing is counted."""

    def record_inline_chosen(self) -> None:
        """Nothing is counted."""


class MemoryUsage:
    """Counts in memory, without days (tests): ``counts[(kind, key)]`` with kind ``route``, ``entry``,
    ``lang``, ``button`` or ``inline``."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()

    def record(self, route: str, entry_id: str | None, lang: str) -> None:
        """Count a question by route, entry and language."""
        self.counts["route", route] += 1
        self.counts["lang", lang] += 1
        if entry_id:
            self.counts["entry", entry_id] += 1

    def record_button(self, kind: str) -> None:
        """Count a button press by kind."""
        self.counts["button", kind] += 1

    def record_inline_chosen(self) -> None:
        """Count an inline result chosen."""
        self.counts["inline", "chosen"] += 1
