"""Swapping new content in while the bot runs.

The channel reads its conversation through one attribute (``holder.conversation``); a reload builds a
whole new :class:`~bot.core.conversation.Conversation` (knowledge base, matcher, views) off the event loop
with the composition root's ``build`` (:mod:`bot.app`), then replaces that attribute in one assignment, so
each update is answered by the old content or the new, never a mix. The preference store, the flood guard
and the bot's identity carry over. Broken content is refused, each problem logged as
``file:line: problem``, and the old content stays in service.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from bot.core.conversation import Conversation
from bot.i18n import forget_catalogs
from bot.knowledge.checks import ContentError

log = logging.getLogger(__name__)


class HoldsConversation(Protocol):
    """What a reload swaps the conversation in: the Telegram front end (anything with the attribute)."""

    conversation: Conversation


@dataclass
class Reloader:
    """Reloads content into ``holder``: ``build(old)`` makes the new conversation from the files as they are
    now, sharing what ``old`` keeps (raises ContentError for broken content); ``after`` runs after a
    successful swap (e.g. to refresh the bot's command menus)."""

    build: Callable[[Conversation], Conversation]
    holder: HoldsConversation
    after: Callable[[], Awaitable[None]] | None = None
    _busy: bool = field(default=False, init=False)
    _again: bool = field(default=False, init=False)

    def _build(self) -> Conversation:
        old = self.holder.conversation
        conversation = self.build(old)  # a new fitted ranker when the content changed: seconds, off the loop
        forget_catalogs()  # checked: from now on translations come from the files as they are now
        conversation.set_identity(old.bot_username, old.reads_group_messages)
        return conversation

    async def reload(self) -> bool:
        """Reload now (a SIGHUP). True when the new content is in service; False when it was refused
        (the old content stays). A request that comes while a reload runs is not lost: that reload runs
        once more when it ends (the files may have changed after it read them), and this call returns False."""
        if self._busy:
            self._again = True
            log.info("A reload is already running; another will follow it.")
            return False
        self._busy = True
        try:
            done = await self._reload_once()
            while self._again:
                self._again = False
                done = await self._reload_once()
            return done
        finally:
            self._busy = False

    async def _reload_once(self) -> bool:
        try:
            conversation = await asyncio.to_thread(self._build)
        except ContentError as exc:
            for problem in exc.problems:
                log.error("%s", problem)
            log.error(
                "Reload refused: the %s has %d problem(s); still serving the previous content.",
                exc.what,
                len(exc.problems),
            )
            return False
        except Exception:
            log.exception("Reload failed; still serving the previous content.")
            return False
        self.holder.conversation = conversation
        log.info("Knowledge base reloaded: %d entries", len(conversation.kb.entries))
        for warning in conversation.kb.warnings:
            log.warning("%s", warning)
        if self.after is not None:
            await self.after()
        return True
