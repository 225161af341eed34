"""Sending a reply where it belongs: the asker's forum topic, as a reply to the asker in a group (with
a force-reply prompt when there are no buttons), and again to the new chat id when the group has just
become a supergroup."""

from __future__ import annotations

import logging
from functools import partial

from telegram import Bot, ForceReply, InlineKeyboardMarkup, Message, ReplyParameters
from telegram.error import ChatMigrated

from bot.channels.telegram.delivery import DeliveryPolicy, Outcome, deliver, split_text
from bot.channels.telegram.markup import keyboard
from bot.core.limits import INPUT_PLACEHOLDER_CHARS
from bot.core.replies import Reply
from bot.i18n import translator

log = logging.getLogger(__name__)


def force_reply(lang: str) -> ForceReply:
    """The prompt Telegram recommends for bots in privacy mode: the asker's next message is a reply to
    the bot, which Telegram delivers (``selective``: only the person the message answers)."""
    placeholder = translator(lang).gettext("Type your question")[:INPUT_PLACEHOLDER_CHARS]
    return ForceReply(selective=True, input_field_placeholder=placeholder)


async def send_reply(
    bot: Bot,
    chat_id: int,
    reply: Reply,
    policy: DeliveryPolicy,
    *,
    thread: int | None = None,
    asker: Message | None = None,
) -> int | None:
    """Send ``reply`` (split when over Telegram's limit; buttons on the last part) to ``chat_id``, in
    forum topic ``thread``; in reply to ``asker``'s message when given (groups). Returns the chat id the
    reply went to (a migrated group's new id) or None when it was not delivered, or may not have been
    (then the parts after it are not sent either)."""
    parts = split_text(reply.text)
    buttons = keyboard(reply.buttons)
    markup: InlineKeyboardMarkup | ForceReply | None = buttons
    if asker is not None and buttons is None:
        markup = force_reply(reply.lang)
    answering = ReplyParameters(asker.message_id, allow_sending_without_reply=True) if asker is not None else None
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        options = partial(
            bot.send_message, reply_markup=markup if last else None, reply_parameters=answering if i == 0 else None
        )
        try:
            ok = await deliver(partial(options, chat_id, part, message_thread_id=thread), policy)
        except ChatMigrated as exc:
            log.info("A group became a supergroup; sending to its new chat id.")
            chat_id, thread = exc.new_chat_id, None
            try:
                ok = await deliver(partial(options, chat_id, part), policy)
            except ChatMigrated:
                ok = Outcome.NOT_SENT
        if not ok:
            return None
    return chat_id
