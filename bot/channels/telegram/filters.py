"""Which group messages are for this bot, and which messages it must not answer at all."""

from __future__ import annotations

from telegram import Message, MessageEntity
from telegram.ext import filters


def _mentions(message: Message) -> list[str]:
    """The @mentions in a message's text or caption."""
    found = message.parse_entities([MessageEntity.MENTION]) if message.text else {}
    if message.caption:
        found = {**found, **message.parse_caption_entities([MessageEntity.MENTION])}
    return list(found.values())


def mentions_bot(message: Message, username: str) -> bool:
    """True when the message's text or caption @mentions ``username``."""
    return any(m.lstrip("@").lower() == username.lower() for m in _mentions(message))


def strip_mention(message: Message, username: str) -> str:
    """The message's text (or caption) with @``username`` mentions removed."""
    text = message.text or message.caption or ""
    for mention in _mentions(message):
        if mention.lstrip("@").lower() == username.lower():
            text = text.replace(mention, " ")
    return text


def replies_to_bot(message: Message) -> bool:
    """True when the message replies to one of this bot's messages."""
    reply = message.reply_to_message
    return reply is not None and reply.from_user is not None and reply.from_user.id == message.get_bot().id


class AddressedToBot(filters.MessageFilter):
    """In a group: a message that mentions this bot or replies to one of its messages."""

    def filter(self, message: Message) -> bool:
        """True for a message this filter lets through."""
        return replies_to_bot(message) or mentions_bot(message, message.get_bot().username or "")


class ViaThisBot(filters.MessageFilter):
    """A message someone sent by picking one of this bot's inline results: the bot's own words, never
    a question for it."""

    def filter(self, message: Message) -> bool:
        """True for a message this filter lets through."""
        return message.via_bot is not None and message.via_bot.id == message.get_bot().id
