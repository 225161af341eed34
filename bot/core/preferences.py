"""Where the core keeps each person's language choice: the protocol a store follows, and a store kept in
memory only (the terminal chat, tests, and the fallback when the disk fails). The SQLite store that
survives restarts is :class:`bot.runtime.storage.SqliteStore`."""

from __future__ import annotations

from collections import OrderedDict
from typing import Protocol

LAST_ANSWERS_KEPT = 10_000  # users whose last answer is remembered (memory only) to re-show it in another language


class PreferenceStore(Protocol):
    """Language choices, by the numeric id of whoever chose (a person, or the chat they speak for)."""

    def get_language(self, user_id: int) -> str | None:
        """The user's chosen language, or None."""

    def set_language(self, user_id: int, lang: str) -> None:
        """Save the user's language choice."""

    def delete(self, user_id: int) -> bool:
        """Forget the user's language choice; True when there was one."""


class MemoryStore:
    """Language choices kept in memory only."""

    def __init__(self) -> None:
        self._langs: dict[int, str] = {}

    def get_language(self, user_id: int) -> str | None:
        """The user's chosen language, or None."""
        return self._langs.get(user_id)

    def set_language(self, user_id: int, lang: str) -> None:
        """Save the user's language choice."""
        self._langs[user_id] = lang

    def delete(self, user_id: int) -> bool:
        """Forget the user's language choice; True when there was one."""
        return self._langs.pop(user_id, None) is not None

    def count(self) -> int:
        """How many users have a language stored."""
        return len(self._langs)


class LastAnswers:
    """The id of the last answer each user was shown, in memory only, for the last ``kept`` users: asking
    for another language shows it again. Answers shown in groups are kept apart from those shown in a
    private chat (``group``), so that "en español" in a group never brings up what someone read in
    private."""

    def __init__(self, kept: int = LAST_ANSWERS_KEPT) -> None:
        self.kept = kept
        self._last: OrderedDict[tuple[int, bool], str] = OrderedDict()

    def remember(self, user_id: int | None, entry_id: str, group: bool = False) -> None:
        """``user_id`` was just shown entry ``entry_id`` (nothing is kept without an id)."""
        if user_id is None:
            return
        key = (user_id, group)
        self._last[key] = entry_id
        self._last.move_to_end(key)
        while len(self._last) > self.kept:
            self._last.popitem(last=False)

    def get(self, user_id: int | None, group: bool = False) -> str | None:
        """The entry ``user_id`` was shown last (in a group, or in private), or None."""
        return self._last.get((user_id, group)) if user_id is not None else None

    def forget(self, user_id: int | None) -> None:
        """Forget ``user_id``'s last answers (``/delete``)."""
        if user_id is not None:
            self._last.pop((user_id, False), None)
            self._last.pop((user_id, True), None)
