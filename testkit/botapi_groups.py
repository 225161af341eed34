"""Update builders for the Bot API double (testkit/botapi_double/) for what groups really send: forum
topics, anonymous admins and channels posting in a group, messages sent via the bot's inline mode,
the bot being added to a group, and backlogs written while the bot was down."""

from __future__ import annotations

import time
from typing import Any

from testkit.botapi_double import BotApiDouble, JSONDict

GROUP_ANONYMOUS_BOT = {"id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"}
CHANNEL_BOT = {"id": 136817688, "is_bot": True, "first_name": "Channel", "username": "Channel_Bot"}


def mention(username: str, text: str) -> tuple[str, list[JSONDict]]:
    """``@username text`` and its mention entity."""
    return f"@{username} {text}", [{"type": "mention", "offset": 0, "length": len(username) + 1}]


def topic_message(double: BotApiDouble, chat_id: int, thread_id: int, text: str, **kw: Any) -> JSONDict:
    """A message in forum topic ``thread_id`` of forum supergroup ``chat_id`` (the topic is opened)."""
    double.open_forum_topic(chat_id, thread_id)
    chat = {"id": chat_id, "type": "supergroup", "title": "Test forum", "is_forum": True}
    return double.make_text_message(
        chat_id, text, chat_type="supergroup", chat=chat, message_thread_id=thread_id, is_topic_message=True, **kw
    )


def general_topic_message(double: BotApiDouble, chat_id: int, text: str, **kw: Any) -> JSONDict:
    """A message in the General topic of forum ``chat_id``: no thread id, no is_topic_message."""
    chat = {"id": chat_id, "type": "supergroup", "title": "Test forum", "is_forum": True}
    return double.make_text_message(chat_id, text, chat_type="supergroup", chat=chat, **kw)


def anonymous_admin_message(double: BotApiDouble, chat_id: int, text: str, **kw: Any) -> JSONDict:
    """A message an anonymous admin of supergroup ``chat_id`` sends: from GroupAnonymousBot, on behalf
    of the group itself."""
    group = {"id": chat_id, "type": "supergroup", "title": "Test chat"}
    return double.make_text_message(
        chat_id, text, chat_type="supergroup", sender_chat=group, **{"from": GROUP_ANONYMOUS_BOT}, **kw
    )


def channel_message(double: BotApiDouble, chat_id: int, channel_id: int, text: str, **kw: Any) -> JSONDict:
    """A message posted in supergroup ``chat_id`` on behalf of channel ``channel_id`` (from Channel_Bot)."""
    channel = {"id": channel_id, "type": "channel", "title": "Test channel"}
    return double.make_text_message(
        chat_id, text, chat_type="supergroup", sender_chat=channel, **{"from": CHANNEL_BOT}, **kw
    )


def via_this_bot(double: BotApiDouble, chat_id: int, text: str, **kw: Any) -> JSONDict:
    """A message a user sent by picking one of this bot's inline results."""
    return double.make_text_message(chat_id, text, via_bot=double.bot_user, **kw)


def bot_added(
    double: BotApiDouble,
    chat_id: int,
    by_user: int,
    old: str = "left",
    new: str = "member",
    chat_type: str = "group",
    language_code: str | None = None,
) -> JSONDict:
    """A my_chat_member update: ``by_user`` changed the bot's status in ``chat_id`` from ``old`` to
    ``new``."""
    chat: JSONDict = {"id": chat_id, "type": chat_type, "title": "Test chat"}
    if chat_type == "private":
        chat = {"id": chat_id, "type": "private", "first_name": "Test"}

    def member(status: str) -> JSONDict:
        out: JSONDict = {"status": status, "user": double.bot_user}
        if status == "administrator":
            out |= {
                "can_be_edited": False,
                "is_anonymous": False,
                "can_manage_chat": True,
                "can_delete_messages": False,
                "can_manage_video_chats": False,
                "can_restrict_members": False,
                "can_promote_members": False,
                "can_change_info": False,
                "can_invite_users": True,
                "can_post_stories": False,
                "can_edit_stories": False,
                "can_delete_stories": False,
            }
        if status == "kicked":
            out["until_date"] = 0
        return out

    return {
        "my_chat_member": {
            "chat": chat,
            "from": double.make_user(by_user, language_code=language_code),
            "date": int(time.time()),
            "old_chat_member": member(old),
            "new_chat_member": member(new),
        }
    }
