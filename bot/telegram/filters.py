"""Which group messages are for this bot."""

from __future__ import annotations

from telegram import Message, MessageEntity
from telegram.ext import filters


def mentions_bot(message: Message, username: str) -> bool:
    """True when the message's text @mentions ``username``."""
    for entity in message.entities or ():
        if (
            entity.type == MessageEntity.MENTION
            and message.parse_entity(entity).lstrip("@").lower() == username.lower()
        ):
            return True
    return False


def strip_mention(message: Message, username: str) -> str:
    """The message's text with @``username`` mentions removed."""
    text = message.text or ""
    for entity in message.entities or ():
        if entity.type == MessageEntity.MENTION:
            mention = message.parse_entity(entity)
            if mention.lstrip("@").lower() == username.lower():
                text = text.replace(mention, " ")
    return text


class AddressedToBot(filters.MessageFilter):
    """In a group: a message that mentions this bot or replies to one of its messages."""

    def filter(self, message: Message) -> bool:
        bot = message.get_bot()
        reply = message.reply_to_message
        if reply is not None and reply.from_user is not None and reply.from_user.id == bot.id:
            return True
        return mentions_bot(message, bot.username or "")
