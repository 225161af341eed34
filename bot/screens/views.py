"""One place that renders an entry for each surface, cached: a chat reply, an emergency screen, an
inline result and plain text for the command line. Every surface follows one length policy: a message
is at most Telegram's 4096 characters (:func:`compose.fit`), an inline description 120."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar, cast

from bot.core.limits import INLINE_DESCRIPTION_CHARS
from bot.knowledge import Entry, KnowledgeBase
from bot.screens.compose import fill, first_words, render_entry, to_plain

T = TypeVar("T")


@dataclass(frozen=True)
class InlineView:
    """An entry as an inline-mode result: title, a one-line description and the full message."""

    title: str
    description: str
    text: str


class AnswerViews:
    """Renders entries, once each per surface, language and bot username (the knowledge base does not
    change under a running view; a reload builds new views)."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.bot_username: str | None = None
        self._cache: dict[tuple[str, str, str, str | None], object] = {}

    def _cached(self, surface: str, entry: Entry, lang: str, make: Callable[[], T]) -> T:
        key = (surface, entry.id, lang, self.bot_username)
        if key not in self._cache:
            self._cache[key] = make()
        return cast(T, self._cache[key])

    def chat(self, entry: Entry, lang: str) -> str:
        """The answer as a chat message (Telegram HTML)."""
        return self._cached("chat", entry, lang, lambda: render_entry(self.kb, entry, lang, self.bot_username))

    def emergency(self, entry: Entry, lang: str) -> str:
        """The answer as an emergency screen: the English statement for an officer comes last."""
        return self._cached(
            "emergency",
            entry,
            lang,
            lambda: render_entry(self.kb, entry, lang, self.bot_username, statement_last=True),
        )

    def inline(self, entry: Entry, lang: str) -> InlineView:
        """The answer as an inline-mode result."""

        def make() -> InlineView:
            text = entry.text(lang)
            description = first_words(fill(self.kb, text.answer, lang), INLINE_DESCRIPTION_CHARS)
            return InlineView(text.title, description, self.chat(entry, lang))

        return self._cached("inline", entry, lang, make)

    def plain(self, entry: Entry, lang: str) -> str:
        """The answer as plain text, for the terminal and ``kyr-bot export``."""
        return self._cached("plain", entry, lang, lambda: to_plain(self.chat(entry, lang)))
