"""Where the core keeps each person's language choice: the protocol a store follows, and a store kept in
memory only (the terminal chat, tests, and the fallback when the disk fails). The SQLite store that
survives restarts is :class:`bot.runtime.storage.SqliteStore`."""

from __future__ import annotations

from typing import Protocol


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
