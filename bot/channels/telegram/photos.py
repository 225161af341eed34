"""Sending pictures (the rights card): uploaded once, then sent again by Telegram's file id, kept beside
the picture's content hash so an edited card is never sent stale."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from telegram import Bot, InlineQueryResultCachedPhoto, InputFile, Message

from bot.channels.telegram.delivery import DeliveryPolicy, Outcome, deliver
from bot.channels.telegram.markup import keyboard
from bot.core.limits import CAPTION_CHARS, INLINE_RESULT_ID_BYTES
from bot.core.replies import InlineAnswer, Reply
from bot.screens.compose import esc

log = logging.getLogger(__name__)


class FileIds(Protocol):
    """Telegram's ids of pictures the bot uploaded, by the picture's content key (no user data). The
    SQLite store (:class:`bot.runtime.storage.SqliteStore`) keeps them across restarts."""

    def get_file_id(self, key: str) -> str | None:
        """Telegram's id for an uploaded picture, or None when it was never sent."""

    def set_file_id(self, key: str, file_id: str) -> None:
        """Remember Telegram's id for an uploaded picture."""


class MemoryFileIds:
    """File ids kept in memory only."""

    def __init__(self) -> None:
        self._ids: dict[str, str] = {}

    def get_file_id(self, key: str) -> str | None:
        """Telegram's id for an uploaded picture, or None when it was never sent."""
        return self._ids.get(key)

    def set_file_id(self, key: str, file_id: str) -> None:
        """Remember Telegram's id for an uploaded picture."""
        self._ids[key] = file_id


async def send_photo_reply(
    bot: Bot, chat_id: int, reply: Reply, store: FileIds, policy: DeliveryPolicy, **extra: Any
) -> bool:
    """Send ``reply.photo`` with its caption and buttons: by the stored file id when there is one for the
    picture's content hash, else uploaded (and its file id stored). Returns True when it was delivered."""
    photo = reply.photo
    assert photo is not None
    caption = esc(photo.caption[:CAPTION_CHARS])
    markup = keyboard(reply.buttons)
    known = store.get_file_id(photo.key)
    if known:

        async def resend() -> None:
            await bot.send_photo(chat_id, known, caption=caption, reply_markup=markup, **extra)

        outcome = await deliver(resend, policy)
        if outcome is not Outcome.NOT_SENT:
            return bool(outcome)  # sent, or perhaps sent: never sent twice
        log.info("A stored picture id was refused; uploading the picture again.")
    sent: list[Message] = []

    async def upload() -> None:
        picture = InputFile(photo.png, filename=photo.filename)
        sent.append(await bot.send_photo(chat_id, picture, caption=caption, reply_markup=markup, **extra))

    if not await deliver(upload, policy):
        return False
    if sent and sent[-1].photo:
        store.set_file_id(photo.key, sent[-1].photo[-1].file_id)
    return True


def inline_photo(answer: InlineAnswer, file_id: str) -> InlineQueryResultCachedPhoto:
    """An inline result that sends an already uploaded picture (the rights card) with its caption."""
    return InlineQueryResultCachedPhoto(
        id=answer.id[:INLINE_RESULT_ID_BYTES],
        photo_file_id=file_id,
        title=answer.title,
        description=answer.description,
        caption=esc(answer.caption[:CAPTION_CHARS]),
        reply_markup=keyboard(answer.buttons),
    )
