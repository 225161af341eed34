"""One place that renders an entry for each surface, cached: a chat reply (the emergency screens show the
same text: a crisis entry's officer statement always comes first), an inline result (the first screen,
with a link to the full answer) and plain text for the command line. Every surface follows the same
layout (:mod:`.compose`) and one length policy: a message is at most Telegram's 4096 characters, an inline
description 120."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar, cast

from bot.core.limits import INLINE_DESCRIPTION_CHARS
from bot.knowledge import Entry, KnowledgeBase
from bot.screens.compose import fill, first_words, render_entry, render_first_screen, to_plain

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
        """The answer as a chat message (Telegram HTML); also what an emergency screen shows."""
        return self._cached("chat", entry, lang, lambda: render_entry(self.kb, entry, lang))

    def inline(self, entry: Entry, lang: str) -> InlineView:
        """The answer as an inline-mode result: its first screen, with a link to the full answer in the bot."""

        def make() -> InlineView:
            text = entry.text(lang)
            description = first_words(fill(self.kb, text.gist or text.answer, lang), INLINE_DESCRIPTION_CHARS)
            return InlineView(text.title, description, render_first_screen(self.kb, entry, lang, self.bot_username))

        return self._cached("inline", entry, lang, make)

    def plain(self, entry: Entry, lang: str) -> str:
        """The answer as plain text, for the terminal and ``kyr-bot export``."""
        return self._cached("plain", entry, lang, lambda: to_plain(self.chat(entry, lang)))
