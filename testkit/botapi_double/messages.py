"""Messages: chats and message ids, text and markup validation, sending, editing, deleting, callback answers."""

from __future__ import annotations

import json
import re
import time
from typing import Any

from testkit.botapi_double.limits import (
    BOT_ID,
    MAX_CALLBACK_ANSWER_LENGTH,
    MAX_CALLBACK_DATA_BYTES,
    MAX_CAPTION_LENGTH,
    MAX_TEXT_LENGTH,
    JSONDict,
)
from testkit.botapi_double.text import _plain_text
from testkit.botapi_double.wire import UploadedFile, _bad_request


class MessageMethods:
    """Messages: chats and message ids, text and markup validation, sending, editing, deleting, callback answers.

    A part of :class:`~testkit.botapi_double.double.BotApiDouble`, whose ``__init__`` sets up the state
    these methods use.
    """

    # ---------------------------------------------------------------- state helpers

    def _next_message_id(self, chat_id: int | str) -> int:
        with self._lock:
            message_id = self._last_message_ids.get(chat_id, 0) + 1
            self._last_message_ids[chat_id] = message_id
            return message_id

    def _chat_for(self, chat_id: int | str) -> JSONDict:
        with self._lock:
            known = self._chats.get(chat_id)
        if known is not None:
            return dict(known)
        if isinstance(chat_id, str):
            return {"id": -1001000000000, "type": "channel", "title": chat_id, "username": chat_id.lstrip("@")}
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "Test"}
        if str(chat_id).startswith("-100"):
            return {"id": chat_id, "type": "supergroup", "title": "Test chat"}
        return {"id": chat_id, "type": "group", "title": "Test chat"}

    def _store_message(self, message: JSONDict) -> None:
        with self._lock:
            chat_id = message["chat"]["id"]
            message_id = message["message_id"]
            self._messages[(chat_id, message_id)] = message
            # keep the per-chat counter ahead of explicitly chosen message ids
            self._last_message_ids[chat_id] = max(self._last_message_ids.get(chat_id, 0), message_id)

    def _require_chat_id(self, params: dict[str, Any]) -> int | str:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise _bad_request("chat_id is empty")
        if isinstance(chat_id, str) and not chat_id.startswith("@"):
            raise _bad_request("chat not found")
        if not isinstance(chat_id, int | str):
            raise _bad_request("chat not found")
        return chat_id

    def _validate_text(self, text: Any, parse_mode: Any, limit: int = MAX_TEXT_LENGTH) -> str:
        if not isinstance(text, str):
            raise _bad_request("message text is empty")
        plain = _plain_text(text, parse_mode if isinstance(parse_mode, str) else None)
        if not plain.strip():
            raise _bad_request("message text is empty")
        if len(plain) > limit:
            raise _bad_request("message is too long")
        return plain

    def _validate_reply_markup(self, markup: Any) -> JSONDict | None:
        """Validate a reply_markup; returns it if it is an inline keyboard (those are echoed)."""
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" not in markup:
            keyboard = markup.get("keyboard")
            if keyboard is not None and not isinstance(keyboard, list):
                raise _bad_request('field "keyboard" of the ReplyKeyboardMarkup must be an Array')
            return None
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad_request('can\'t parse inline keyboard button: field "inline_keyboard" must be an Array')
        actions = (
            "callback_data",
            "url",
            "switch_inline_query",
            "switch_inline_query_current_chat",
            "switch_inline_query_chosen_chat",
            "web_app",
            "login_url",
            "callback_game",
            "pay",
            "copy_text",
        )
        for row in rows:
            for button in row:
                if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                    raise _bad_request("can't parse inline keyboard button: Text must be a String")
                if not button["text"].strip():
                    raise _bad_request("BUTTON_TEXT_EMPTY")
                if not any(key in button for key in actions):
                    raise _bad_request(
                        "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
                    )
                if "callback_data" in button:
                    data = button["callback_data"]
                    size = len(data.encode("utf-8")) if isinstance(data, str) else 0
                    if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
                        raise _bad_request("BUTTON_DATA_INVALID")
                if "url" in button and not re.match(r"^(https?|tg)://\S+$", str(button["url"])):
                    raise _bad_request("BUTTON_URL_INVALID")
        return markup

    def _check_query_id(self, open_ids: set[str], query_id: Any) -> None:
        if not isinstance(query_id, str) or not query_id:
            raise _bad_request("QUERY_ID_INVALID")
        with self._lock:
            known = query_id in open_ids
            open_ids.discard(query_id)
        if self._strict_query_ids and not known:
            raise _bad_request("query is too old and response timeout expired or query ID is invalid")

    @staticmethod
    def _commands_key(scope: Any, language_code: Any) -> tuple[str, str]:
        scope_dict = scope if isinstance(scope, dict) else {"type": "default"}
        return json.dumps(scope_dict, sort_keys=True), language_code if isinstance(language_code, str) else ""

    def _build_bot_message(self, chat_id: int | str, params: dict[str, Any]) -> JSONDict:
        chat = self._chat_for(chat_id)
        message: JSONDict = {
            "message_id": self._next_message_id(chat["id"]),
            "from": self.bot_user,
            "chat": chat,
            "date": int(time.time()),
        }
        reply_parameters = params.get("reply_parameters")
        reply_to = params.get("reply_to_message_id")
        if isinstance(reply_parameters, dict):
            reply_to = reply_parameters.get("message_id")
        if isinstance(reply_to, int):
            with self._lock:
                original = self._messages.get((chat["id"], reply_to))
            allow_missing = bool(
                params.get("allow_sending_without_reply")
                or (isinstance(reply_parameters, dict) and reply_parameters.get("allow_sending_without_reply"))
            )
            if original is not None:
                message["reply_to_message"] = {k: v for k, v in original.items() if k != "reply_to_message"}
            elif not allow_missing:
                raise _bad_request("message to be replied not found")
        thread = params.get("message_thread_id")
        topics = self._forum_topics.get(chat["id"])
        if isinstance(thread, int) and topics is not None:
            if thread not in topics:  # the General topic included: its id is refused
                raise _bad_request("message thread not found")
            message["message_thread_id"] = thread
            message["is_topic_message"] = True
        elif isinstance(thread, int):
            message["message_thread_id"] = thread
        return message

    def _send_message(self, params: dict[str, Any]) -> JSONDict:
        chat_id = self._require_chat_id(params)
        plain = self._validate_text(params.get("text"), params.get("parse_mode"))
        markup = self._validate_reply_markup(params.get("reply_markup"))
        message = self._build_bot_message(chat_id, params)
        message["text"] = plain
        if isinstance(params.get("entities"), list) and params["entities"]:
            message["entities"] = params["entities"]
        if markup is not None:
            message["reply_markup"] = markup
        with self._lock:
            self._store_message(message)
            self._message_sources[(message["chat"]["id"], message["message_id"])] = (
                params["text"],
                params.get("parse_mode"),
            )
        return json.loads(json.dumps(message))

    def _send_media(self, method: str, params: dict[str, Any], files: dict[str, UploadedFile]) -> JSONDict:
        chat_id = self._require_chat_id(params)
        markup = self._validate_reply_markup(params.get("reply_markup"))
        message = self._build_bot_message(chat_id, params)
        caption = params.get("caption")
        if isinstance(caption, str):
            plain = _plain_text(caption, params.get("parse_mode"))
            if len(plain) > MAX_CAPTION_LENGTH:
                raise _bad_request("message caption is too long")
            message["caption"] = plain
        n = message["message_id"]
        file_ids = {"file_id": f"sent-{n}", "file_unique_id": f"sent-uniq-{n}"}
        kind = method.removeprefix("send").lower()
        if kind == "photo":
            message["photo"] = [{**file_ids, "width": 800, "height": 800}]
        elif kind == "location":
            message["location"] = {"latitude": params.get("latitude"), "longitude": params.get("longitude")}
        elif kind == "sticker":
            message["sticker"] = {
                **file_ids,
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
            }
        elif kind in ("document", "voice", "audio", "video", "animation"):
            message[kind] = {**file_ids, "duration": 1} if kind != "document" else file_ids
        if markup is not None:
            message["reply_markup"] = markup
        self._store_message(message)
        return json.loads(json.dumps(message))

    def _find_editable(self, params: dict[str, Any]) -> tuple[tuple[int | str, int] | None, JSONDict | None]:
        if params.get("inline_message_id"):
            return None, None
        chat_id = self._require_chat_id(params)
        message_id = params.get("message_id")
        if not isinstance(message_id, int):
            raise _bad_request("message identifier is not specified")
        chat_key = self._chat_for(chat_id)["id"]
        with self._lock:
            message = self._messages.get((chat_key, message_id))
        if message is None:
            raise _bad_request("message to edit not found")
        if message.get("from", {}).get("id") != BOT_ID:
            raise _bad_request("message can't be edited")
        return (chat_key, message_id), message

    def _edit_message_text(self, params: dict[str, Any]) -> JSONDict | bool:
        plain = self._validate_text(params.get("text"), params.get("parse_mode"))
        markup = self._validate_reply_markup(params.get("reply_markup"))
        key, message = self._find_editable(params)
        if key is None or message is None:
            return True
        with self._lock:
            if "text" not in message:
                raise _bad_request("there is no text in the message to edit")
            source = (params["text"], params.get("parse_mode"))
            old_source = self._message_sources.get(key, (message["text"], None))
            if source == old_source and markup == message.get("reply_markup"):
                raise _bad_request(
                    "message is not modified: specified new message content and reply markup are "
                    "exactly the same as a current content and reply markup of the message"
                )
            message["text"] = plain
            message.pop("entities", None)
            if markup is not None:
                message["reply_markup"] = markup
            else:
                message.pop("reply_markup", None)
            message["edit_date"] = int(time.time())
            self._message_sources[key] = source
            return json.loads(json.dumps(message))

    def _edit_message_reply_markup(self, params: dict[str, Any]) -> JSONDict | bool:
        markup = self._validate_reply_markup(params.get("reply_markup"))
        key, message = self._find_editable(params)
        if key is None or message is None:
            return True
        with self._lock:
            if markup == message.get("reply_markup"):
                raise _bad_request(
                    "message is not modified: specified new message content and reply markup are "
                    "exactly the same as a current content and reply markup of the message"
                )
            if markup is not None:
                message["reply_markup"] = markup
            else:
                message.pop("reply_markup", None)
            message["edit_date"] = int(time.time())
            return json.loads(json.dumps(message))

    def _delete_message(self, params: dict[str, Any]) -> bool:
        chat_id = self._require_chat_id(params)
        chat_key = self._chat_for(chat_id)["id"]
        message_id = params.get("message_id")
        with self._lock:
            if not isinstance(message_id, int) or self._messages.pop((chat_key, message_id), None) is None:
                raise _bad_request("message to delete not found")
        return True

    def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        text = params.get("text")
        if isinstance(text, str) and len(text) > MAX_CALLBACK_ANSWER_LENGTH:
            raise _bad_request("MESSAGE_TOO_LONG")
        self._check_query_id(self._open_callback_queries, params.get("callback_query_id"))
        return True
