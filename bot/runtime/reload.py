"""Loading the content (knowledge base and translation catalogs) and swapping it in while the bot runs.

The front end reads its conversation through one attribute (``holder.conversation``); a reload builds a
whole new :class:`~bot.conversation.Conversation` (knowledge base, matcher, views) off the event loop,
then replaces that attribute in one assignment, so each update is answered by the old content or the new,
never a mix. The preference store and the flood guard carry over. Broken content is refused, each
problem logged as ``file:line: problem``, and the old content stays in service.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from .config import Config
from .conversation import Conversation
from .i18n import check_catalogs, forget_catalogs
from .knowledge import KnowledgeBase, KnowledgeError, load_knowledge
from .yamlfile import Problem

log = logging.getLogger(__name__)


class ContentError(Exception):
    """The knowledge base or a catalog is broken; ``problems`` are ``file:line: problem`` each."""

    def __init__(self, what: str, problems: list[Problem]) -> None:
        self.what = what
        self.problems = problems
        super().__init__(f"broken {what}: {len(problems)} problem(s)")


def load_content(config: Config) -> KnowledgeBase:
    """The knowledge base in ``config.knowledge_dir``, after checking it and the catalogs for its
    languages (in ``config.locales_dir``). Raises ContentError listing every problem."""
    try:
        kb = load_knowledge(config.knowledge_dir, operator=config.operator)
    except KnowledgeError as exc:
        raise ContentError("knowledge base", list(exc.problems)) from None
    problems = check_catalogs(kb.languages)
    if problems:
        raise ContentError("translations", problems)
    return kb


class HoldsConversation(Protocol):
    """What a reload swaps the conversation in: the Telegram front end (anything with the attribute)."""

    conversation: Conversation


@dataclass
class Reloader:
    """Reloads ``config``'s content into ``holder``; ``after`` runs after a successful swap (e.g. to
    refresh the bot's command menus)."""

    config: Config
    holder: HoldsConversation
    after: Callable[[], Awaitable[None]] | None = None
    _busy: bool = field(default=False, init=False)
    _again: bool = field(default=False, init=False)

    def build(self) -> Conversation:
        """A new conversation on freshly loaded content, sharing the current store and flood guard.
        Blocking (half a second; several seconds when the matcher's ranker must be fitted anew): run it off
        the event loop. Raises ContentError."""
        kb = load_content(self.config)
        forget_catalogs()  # both checked: from now on translations come from the files as they are now
        old = self.holder.conversation
        conversation = Conversation.from_knowledge(
            kb, old.store, cache_dir=self.config.model_cache_dir, flood=old.flood
        )  # a new fitted ranker when the content changed: seconds, off the loop
        conversation.bot_username = old.bot_username
        conversation.reads_group_messages = old.reads_group_messages
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
            conversation = await asyncio.to_thread(self.build)
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
