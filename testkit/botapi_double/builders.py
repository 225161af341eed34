"""Update builders: users, messages, callbacks, inline queries, as Telegram sends them."""

from __future__ import annotations

import json
import time
from typing import Any

from testkit.botapi_double.limits import JSONDict, NonTextKind
from testkit.botapi_double.text import _auto_entities


class UpdateBuilders:
    """Update builders: users, messages, callbacks, inline queries, as Telegram sends them.

    A part of :class:`~testkit.botapi_double.double.BotApiDouble`, whose ``__init__`` sets up the state
    these methods use.
    """

    # ---------------------------------------------------------------- update builders

    def make_user(
        self,
        user_id: int,
        first_name: str = "Test",
        username: str | None = None,
        language_code: str | None = None,
    ) -> JSONDict:
        user: JSONDict = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username is not None:
            user["username"] = username
        if language_code is not None:
            user["language_code"] = language_code
        return user

    def make_text_message(
        self,
        chat_id: int,
        text: str,
        user_id: int | None = None,
        language_code: str | None = None,
        chat_type: str = "private",
        first_name: str = "Test",
        username: str | None = None,
        reply_to_message: JSONDict | int | None = None,
        entities: list[JSONDict] | None = None,
        **fields: Any,
    ) -> JSONDict:
        """An update with a new text message from a user (a bot_command entity added for "/...", as
        Telegram marks it). ``fields`` are set on the message as given (``date``, ``sender_chat``,
        ``via_bot``, ``message_thread_id``, ``is_topic_message``, ``from``...)."""
        message = self._user_message(chat_id, user_id, language_code, chat_type, first_name, username)
        message.update(fields)
        message["text"] = text
        if entities is None and text.startswith("/"):
            entities = [e for e in _auto_entities(text) if e["type"] == "bot_command"]
        if entities:
            message["entities"] = entities
        if reply_to_message is not None:
            message["reply_to_message"] = self._resolve_message(chat_id, reply_to_message)
        self._store_message(message)
        return {"message": message}

    def make_edited_message(
        self,
        chat_id: int,
        text: str,
        message_id: int | None = None,
        user_id: int | None = None,
        language_code: str | None = None,
        chat_type: str = "private",
        first_name: str = "Test",
        username: str | None = None,
    ) -> JSONDict:
        """An ``edited_message`` update; edits ``message_id`` if given (else a fresh message id)."""
        message = self._user_message(chat_id, user_id, language_code, chat_type, first_name, username)
        if message_id is not None:
            message["message_id"] = message_id
            with self._lock:
                original = self._messages.get((chat_id, message_id))
            if original is not None:
                message["date"] = original["date"]
        message["text"] = text
        message["edit_date"] = int(time.time())
        self._store_message(message)
        return {"edited_message": message}

    def make_non_text(
        self,
        chat_id: int,
        kind: NonTextKind = "photo",
        user_id: int | None = None,
        language_code: str | None = None,
        chat_type: str = "private",
        first_name: str = "Test",
        username: str | None = None,
        caption: str | None = None,
        **fields: Any,
    ) -> JSONDict:
        """An update with a non-text message (photo, sticker, voice, location or document); a caption
        gets the caption_entities Telegram marks by itself. ``fields`` as in :meth:`make_text_message`."""
        message = self._user_message(chat_id, user_id, language_code, chat_type, first_name, username)
        message.update(fields)
        n = message["message_id"]
        file_ids = {"file_id": f"{kind}-file-{chat_id}-{n}", "file_unique_id": f"{kind}-uniq-{chat_id}-{n}"}
        if kind == "photo":
            message["photo"] = [
                {**file_ids, "file_id": f"{file_ids['file_id']}-s", "width": 90, "height": 90, "file_size": 1200},
                {**file_ids, "width": 800, "height": 800, "file_size": 54000},
            ]
        elif kind == "sticker":
            message["sticker"] = {
                **file_ids,
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "emoji": "\U0001f44d",
            }
        elif kind == "voice":
            message["voice"] = {**file_ids, "duration": 3, "mime_type": "audio/ogg", "file_size": 8000}
        elif kind == "location":
            message["location"] = {"latitude": 41.1399, "longitude": -104.8202}
        elif kind == "document":
            message["document"] = {
                **file_ids,
                "file_name": "document.pdf",
                "mime_type": "application/pdf",
                "file_size": 20000,
            }
        else:
            raise ValueError(f"unsupported kind {kind!r}")
        if caption is not None and kind in ("photo", "voice", "document"):
            message["caption"] = caption
            if "caption_entities" not in message and _auto_entities(caption):
                message["caption_entities"] = _auto_entities(caption)
        self._store_message(message)
        return {"message": message}

    def make_poll_message(self, chat_id: int, question: str, *, older_server: bool = True, **fields: Any) -> JSONDict:
        """A message carrying a poll (someone forwarded one to the bot). ``older_server``: shaped as a Bot
        API server older than 9.6 sends it, without the fields python-telegram-bot 22.8 requires since
        (the options' ``persistent_id``, the poll's ``allows_revoting`` and ``members_only``): what a
        self-hosted server not yet upgraded delivers."""
        message = self._user_message(chat_id, None, None, "private", "Test", None)
        message.update(fields)
        options = [{"text": text, "voter_count": 0} for text in ("Yes", "No")]
        newer: JSONDict = {} if older_server else {"allows_revoting": False, "members_only": False}
        if not older_server:
            options = [{**option, "persistent_id": f"opt{i}"} for i, option in enumerate(options)]
        message["poll"] = {
            **newer,
            "id": f"poll-{chat_id}-{message['message_id']}",
            "question": question,
            "options": options,
            "total_voter_count": 0,
            "is_closed": False,
            "is_anonymous": True,
            "type": "regular",
            "allows_multiple_answers": False,
        }
        self._store_message(message)
        return {"message": message}

    def make_business_message(
        self, customer_id: int, text: str, connection_id: str = "biz-1", *, edited: bool = False
    ) -> JSONDict:
        """A ``business_message`` (or ``edited_business_message``): a customer wrote ``text`` to a Telegram
        Business account that connected this bot; the chat is the customer's private chat with that
        account, not with the bot."""
        message = self._user_message(customer_id, None, None, "private", "Customer", None)
        message["text"] = text
        message["business_connection_id"] = connection_id
        if edited:
            message["edit_date"] = int(time.time())
        return {"edited_business_message" if edited else "business_message": message}

    def make_callback(
        self,
        chat_id: int,
        data: str,
        message_id: int,
        user_id: int | None = None,
        language_code: str | None = None,
        message_text: str = "Menu",
        first_name: str = "Test",
        username: str | None = None,
    ) -> JSONDict:
        """A callback_query update for a button on bot message ``message_id`` in ``chat_id``.

        If the bot sent that message through the double, the stored message is used; otherwise a bot
        message with ``message_text`` is created and stored (so it can be edited afterwards).
        """
        uid = user_id if user_id is not None else self._default_user_id(chat_id, "private")
        user = self.make_user(uid, first_name, username, language_code)
        with self._lock:
            message = self._messages.get((chat_id, message_id))
            if message is None:
                message = {
                    "message_id": message_id,
                    "date": int(time.time()),
                    "chat": self._chat_for(chat_id),
                    "from": self.bot_user,
                    "text": message_text,
                }
                self._store_message(message)
            query_id = f"{uid}{next(self._query_ids):08d}"
            self._open_callback_queries.add(query_id)
        return {
            "callback_query": {
                "id": query_id,
                "from": user,
                "message": json.loads(json.dumps(message)),
                "chat_instance": f"ci-{chat_id}",
                "data": data,
            }
        }

    def make_inline_query(
        self,
        query: str,
        user_id: int,
        language_code: str | None = None,
        offset: str = "",
        chat_type: str | None = "sender",
    ) -> JSONDict:
        """An inline_query update."""
        with self._lock:
            query_id = f"{user_id}{next(self._query_ids):08d}"
            self._open_inline_queries.add(query_id)
        inline_query: JSONDict = {
            "id": query_id,
            "from": self.make_user(user_id, language_code=language_code),
            "query": query,
            "offset": offset,
        }
        if chat_type is not None:
            inline_query["chat_type"] = chat_type
        return {"inline_query": inline_query}

    def make_chosen_inline_result(
        self, result_id: str, user_id: int, query: str = "", language_code: str | None = None
    ) -> JSONDict:
        """A chosen_inline_result update: the user sent inline result ``result_id`` into a chat (Telegram
        sends these only to a bot whose inline feedback is on, and only when allowed_updates asks)."""
        chosen: JSONDict = {
            "result_id": result_id,
            "from": self.make_user(user_id, language_code=language_code),
            "query": query,
        }
        return {"chosen_inline_result": chosen}

    def _default_user_id(self, chat_id: int, chat_type: str) -> int:
        return chat_id if chat_type == "private" else 4242

    def _user_message(
        self,
        chat_id: int,
        user_id: int | None,
        language_code: str | None,
        chat_type: str,
        first_name: str,
        username: str | None,
    ) -> JSONDict:
        uid = user_id if user_id is not None else self._default_user_id(chat_id, chat_type)
        user = self.make_user(uid, first_name, username, language_code)
        with self._lock:
            if chat_type == "private":
                chat: JSONDict = {"id": chat_id, "type": "private", "first_name": first_name}
                if username is not None:
                    chat["username"] = username
            else:
                chat = {"id": chat_id, "type": chat_type, "title": "Test chat"}
            self._chats[chat_id] = chat
            return {
                "message_id": self._next_message_id(chat_id),
                "from": user,
                "chat": dict(chat),
                "date": int(time.time()),
            }

    def _resolve_message(self, chat_id: int | str, ref: JSONDict | int) -> JSONDict:
        if isinstance(ref, dict):
            return ref
        with self._lock:
            found = self._messages.get((chat_id, ref))
        if found is None:
            return {"message_id": ref, "date": int(time.time()), "chat": self._chat_for(chat_id)}
        return {k: v for k, v in found.items() if k != "reply_to_message"}
