"""Replies' buttons and inline answers as Telegram objects."""

from __future__ import annotations

from functools import lru_cache

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    SwitchInlineQueryChosenChat,
)

from bot.core.limits import CALLBACK_DATA_BYTES, INLINE_QUERY_CHARS, INLINE_RESULT_ID_BYTES, MESSAGE_TEXT_CHARS
from bot.core.replies import Button, InlineAnswer

KEYBOARDS_CACHED = 1 << 12  # distinct button sets kept built (answers × languages, with room to spare)


@lru_cache(maxsize=KEYBOARDS_CACHED)
def keyboard(reply_buttons: tuple[tuple[Button, ...], ...]) -> InlineKeyboardMarkup | None:
    """An inline keyboard for a reply's button rows (None when there are none). A Share button opens
    the chat picker with the answer's title as the inline query."""
    rows = []
    for row in reply_buttons:
        out = []
        for b in row:
            if b.url:
                out.append(InlineKeyboardButton(b.label, url=b.url))
            elif b.share is not None:
                chosen = SwitchInlineQueryChosenChat(
                    query=b.share[:INLINE_QUERY_CHARS],
                    allow_user_chats=True,
                    allow_group_chats=True,
                    allow_channel_chats=True,
                )
                out.append(InlineKeyboardButton(b.label, switch_inline_query_chosen_chat=chosen))
            elif b.data and len(b.data.encode()) <= CALLBACK_DATA_BYTES:
                out.append(InlineKeyboardButton(b.label, callback_data=b.data))
        if out:
            rows.append(out)
    return InlineKeyboardMarkup(rows) if rows else None


def inline_article(answer: InlineAnswer) -> InlineQueryResultArticle:
    """One inline-mode result that sends the full answer (parse mode and link previews from Defaults)."""
    return InlineQueryResultArticle(
        id=answer.id[:INLINE_RESULT_ID_BYTES],
        title=answer.title,
        description=answer.description,
        input_message_content=InputTextMessageContent(answer.text[:MESSAGE_TEXT_CHARS]),
        reply_markup=keyboard(answer.buttons),
    )
