"""What an incoming update means for the conversation: who is asking (the chat they speak for, when
they post as one), when they sent it, in which forum topic, and the command Telegram marked."""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import Message, MessageEntity, Update
from telegram.constants import ChatType

from bot.core.conversation import clean_input
from bot.core.replies import Forwarded, User
from bot.core.replies import Message as CoreMessage

GROUP_ANONYMOUS_BOT = 1087968824  # the sender of every anonymous group admin's message
CHANNEL_BOT = 136817688  # the sender of messages posted in a group on behalf of a channel
GROUP_TYPES = (ChatType.GROUP, ChatType.SUPERGROUP)
_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,64})(?:@([A-Za-z0-9_]{3,32}))?(?=\s|$)")


def sender_id(update: Update) -> int | None:
    """Whose flood budget and language an update uses: the sender chat when someone posts as a chat
    (an anonymous group admin, a channel), else the person. A button press counts for the sender chat
    of the message the pressed message answered."""
    query = update.callback_query
    if query is not None:
        answered = getattr(query.message, "reply_to_message", None)
        if answered is not None and answered.sender_chat is not None:
            return answered.sender_chat.id
        return query.from_user.id
    message = update.effective_message
    if message is not None and message.sender_chat is not None:
        return message.sender_chat.id
    tg_user = update.effective_user
    return tg_user.id if tg_user is not None else None


def user_of(update: Update) -> User:
    """Who sent the update, as the conversation needs it: an id (see :func:`sender_id`), the app's
    language, when the message was sent (Unix seconds) and whether it came from a group. Never a name."""
    tg_user = update.effective_user
    message = update.effective_message if update.callback_query is None else None
    sent = message.edit_date or message.date if message is not None else None
    chat = update.effective_chat
    return User(
        sender_id(update),
        tg_user.language_code if tg_user is not None else None,
        sent_at=sent.timestamp() if sent is not None else None,
        in_group=chat is not None and chat.type in GROUP_TYPES,
    )


def thread_of(message: Message | None) -> int | None:
    """The forum topic a message is in, to answer there; None for a chat's main thread (and for the
    General topic, whose id Telegram refuses)."""
    if message is None or not message.is_topic_message:
        return None
    return message.message_thread_id


@dataclass(frozen=True)
class TypedCommand:
    """A command as Telegram delivers it: its name (lowercase, no slash), the bot it names after @ (''
    if none) and the text after it, cleaned. The core resolves the name (``Conversation.command``)."""

    name: str
    target: str
    arg: str


def command_in(text: str | None, entities: tuple[MessageEntity, ...] | None) -> TypedCommand | None:
    """The command at the start of a text or caption: the bot_command entity Telegram marked at offset
    0 (invisible characters around it do not matter); else a command-shaped first word once invisible
    characters are removed. None when the message is not a command."""
    if not text:
        return None
    marked = next((e for e in entities or () if e.type == MessageEntity.BOT_COMMAND and e.offset == 0), None)
    if marked is not None:
        head = text.encode("utf-16-le")[: 2 * marked.length].decode("utf-16-le", "ignore")
        match = _COMMAND.match(clean_input(head))
        if match:
            return TypedCommand(match.group(1).lower(), (match.group(2) or "").lower(), clean_input(text[len(head) :]))
    cleaned = clean_input(text)
    match = _COMMAND.match(cleaned)
    if match is None:
        return None
    return TypedCommand(match.group(1).lower(), (match.group(2) or "").lower(), cleaned[match.end() :].strip())


def forwarded(message: Message) -> Forwarded | None:
    """What the core may know of a forwarded message's origin (when it was first sent), or None when the
    message is not forwarded. Never who sent it or where from."""
    origin = message.forward_origin
    if origin is None:
        return None
    return Forwarded(origin.date.timestamp() if origin.date is not None else None)


def replies_to_forwarded(message: Message) -> bool:
    """True when the message replies to a forwarded message (its words may be about someone else's)."""
    answered = message.reply_to_message
    return answered is not None and answered.forward_origin is not None


def quoted_message(message: Message) -> CoreMessage | None:
    """The message a command answers (``/verificar`` sent as a reply to an alert), as the core reads it:
    the part the user quoted if they picked one, else its text or caption, and when it was first sent if
    it was forwarded. None when the command answers nothing. Never who sent it or where from; nothing
    of it is kept."""
    answered = message.reply_to_message
    if answered is None:
        return None
    if message.quote is not None and message.quote.text:
        text, caption = message.quote.text, False
    else:
        text, caption = answered.text or answered.caption or "", answered.text is None and bool(answered.caption)
    return CoreMessage(text, caption=caption, media_only=not text, forwarded=forwarded(answered))
