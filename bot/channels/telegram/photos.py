"""Sending pictures (the rights card): uploaded once, then sent again by Telegram's file id, kept beside
the picture's content hash so an edited card is never sent stale."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Bot, InlineQueryResultCachedPhoto, InputFile, Message

from ..compose import esc
from ..replies import InlineAnswer, Reply
from ..storage import PreferenceStore
from .delivery import DeliveryPolicy, deliver
from .markup import MAX_RESULT_ID_BYTES, keyboard

log = logging.getLogger(__name__)

MAX_CAPTION_CHARS = 1024  # Bot API: a photo caption is 0-1024 characters after entities parsing


async def send_photo_reply(
    bot: Bot, chat_id: int, reply: Reply, store: PreferenceStore, policy: DeliveryPolicy, **extra: Any
) -> bool:
    """Send ``reply.photo`` with its caption and buttons: by the stored file id when there is one for the
    picture's content hash, else uploaded (and its file id stored). Returns True when it was delivered."""
    photo = reply.photo
    assert photo is not None
    caption = esc(photo.caption[:MAX_CAPTION_CHARS])
    markup = keyboard(reply.buttons)
    known = store.get_file_id(photo.key)
    if known:

        async def resend() -> None:
            await bot.send_photo(chat_id, known, caption=caption, reply_markup=markup, **extra)

        if await deliver(resend, policy):
            return True
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
        id=answer.id[:MAX_RESULT_ID_BYTES],
        photo_file_id=file_id,
        title=answer.title,
        description=answer.description,
        caption=esc(answer.caption[:MAX_CAPTION_CHARS]),
        reply_markup=keyboard(answer.buttons),
    )
