"""Swapping new content in while the bot runs.

The channel reads its conversation through one attribute (``holder.conversation``); a reload builds a
whole new :class:`~bot.core.conversation.Conversation` (knowledge base, matcher, views) off the event loop
with the composition root's ``build`` (:mod:`bot.app`), then replaces that attribute in one assignment, so
each update is answered by the old content or the new, never a mix. The preference store, the flood guard
and the bot's identity carry over. Broken content is refused, each problem logged as
``file:line: problem``, and the old content stays in service.

Each reload's outcome is also written to ``<data dir>/reload-status.json`` (:class:`ReloadStatus`: when it
started and ended, whether the new content is in service, how many entries, and the problems as
``file:line: problem`` lines; nothing about users), so ``kyr-bot reload`` can wait for it and say how it
went.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol

from bot.core.conversation import Conversation
from bot.i18n import forget_catalogs
from bot.knowledge.checks import ContentError

log = logging.getLogger(__name__)

RELOAD_STATUS_NAME = "reload-status.json"


@dataclass(frozen=True)
class ReloadStatus:
    """How a reload went: the bot's ``pid``; ``started`` and ``finished`` (Unix seconds, wall clock:
    ``started`` is when it began reading the files); ``ok`` (the new content is in service);
    ``entries`` in service; ``problems`` as ``file:line: problem`` lines (empty when ``ok``)."""

    pid: int
    started: float
    finished: float
    ok: bool
    entries: int
    problems: tuple[str, ...] = ()


def write_status(path: Path, status: ReloadStatus) -> None:
    """Write ``status`` to ``path`` as JSON, whole or not at all (a temporary file renamed over it); a
    failure is logged, not raised."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        temporary.write_text(json.dumps(asdict(status), ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, path)
    except OSError as exc:
        log.warning(
            "Reload status %s cannot be written (%s): kyr-bot reload cannot say how it went.", path, exc.strerror
        )


def read_status(path: Path) -> ReloadStatus | None:
    """The last reload's status in ``path``, or None (no reload yet, or an unreadable file)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return ReloadStatus(
            int(data["pid"]),
            float(data["started"]),
            float(data["finished"]),
            bool(data["ok"]),
            int(data["entries"]),
            tuple(str(p) for p in data.get("problems", ())),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


class HoldsConversation(Protocol):
    """What a reload swaps the conversation in: the Telegram front end (anything with the attribute)."""

    conversation: Conversation


@dataclass
class Reloader:
    """Reloads content into ``holder``: ``build(old)`` makes the new conversation from the files as they are
    now, sharing what ``old`` keeps (raises ContentError for broken content); ``after`` runs after a
    successful swap (e.g. to refresh the bot's command menus); ``status_path``, when given, receives each
    reload's :class:`ReloadStatus`."""

    build: Callable[[Conversation], Conversation]
    holder: HoldsConversation
    after: Callable[[], Awaitable[None]] | None = None
    status_path: Path | None = None
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
        started = time.time()
        try:
            conversation = await asyncio.to_thread(self._build)
        except ContentError as exc:
            for problem in exc.problems:
                log.error("%s", problem)
            refused = (
                f"Reload refused: the {exc.what} has {len(exc.problems)} problem(s); "
                "still serving the previous content."
            )
            log.error("%s", refused)
            self._report(started, False, [str(p) for p in exc.problems] + [refused])
            return False
        except Exception as exc:
            log.exception("Reload failed; still serving the previous content.")
            self._report(started, False, [f"Reload failed ({type(exc).__name__}); still serving the previous content."])
            return False
        self.holder.conversation = conversation
        log.info("Knowledge base reloaded: %d entries", len(conversation.kb.entries))
        self._report(started, True, [], len(conversation.kb.entries))
        for warning in conversation.kb.warnings:
            log.warning("%s", warning)
        if self.after is not None:
            await self.after()
        return True

    def _report(self, started: float, ok: bool, problems: list[str], entries: int = 0) -> None:
        if self.status_path is not None:
            if not ok:
                entries = len(self.holder.conversation.kb.entries)  # still in service
            status = ReloadStatus(os.getpid(), started, time.time(), ok, entries, tuple(problems))
            write_status(self.status_path, status)
