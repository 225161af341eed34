"""The other methods: getMe, getUpdates and webhooks, inline answers, commands, descriptions, menu buttons, files."""

from __future__ import annotations

import json
import re
import time
from typing import Any

from testkit.botapi_double.limits import (
    _CHAT_ACTIONS,
    _COMMAND_RE,
    _NOT_DEFAULT_UPDATE_TYPES,
    MAX_COMMAND_DESCRIPTION_LENGTH,
    MAX_COMMANDS,
    MAX_DESCRIPTION_LENGTH,
    MAX_GET_UPDATES_LIMIT,
    MAX_INLINE_RESULT_ID_BYTES,
    MAX_INLINE_RESULTS,
    MAX_SHORT_DESCRIPTION_LENGTH,
    JSONDict,
)
from testkit.botapi_double.wire import _ApiError, _bad_request


class ApiMethods:
    """The other methods: getMe, getUpdates and webhooks, inline answers, commands, descriptions, menu buttons, files.

    A part of :class:`~testkit.botapi_double.double.BotApiDouble`, whose ``__init__`` sets up the state
    these methods use.
    """

    # ---------------------------------------------------------------- method implementations

    def _get_me(self, params: dict[str, Any]) -> JSONDict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": self.can_read_all_group_messages,
            "supports_inline_queries": True,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _get_updates(self, params: dict[str, Any]) -> list[JSONDict]:
        offset = params.get("offset")
        limit = params.get("limit", MAX_GET_UPDATES_LIMIT)
        timeout = params.get("timeout", 0)
        allowed = params.get("allowed_updates")
        if not isinstance(limit, int) or not 1 <= limit <= MAX_GET_UPDATES_LIMIT:
            limit = MAX_GET_UPDATES_LIMIT
        timeout_s = float(timeout) if isinstance(timeout, int | float) and timeout > 0 else 0.0
        deadline = time.monotonic() + timeout_s
        with self._cond:
            if self._webhook is not None:
                raise _ApiError(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first",
                )
            if isinstance(allowed, list):
                self._allowed_updates = [str(a) for a in allowed]
            if isinstance(offset, int):
                self._confirm(offset)
            self._poll_generation += 1
            generation = self._poll_generation
            self._cond.notify_all()
            while True:
                if self._poll_generation != generation:
                    raise _ApiError(
                        409,
                        "Conflict: terminated by other getUpdates request; "
                        "make sure that only one bot instance is running",
                    )
                ready = self._deliverable()[:limit]
                remaining = deadline - time.monotonic()
                if ready or remaining <= 0 or self._stopping.is_set():
                    break
                self._cond.wait(remaining)
            for update in ready:
                self._delivered_ids.add(update["update_id"])
            self._cond.notify_all()
            return [json.loads(json.dumps(u)) for u in ready]

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            keep = self._updates[offset:]
            self._updates = keep
            if keep:
                self._confirmed_offset = max(self._confirmed_offset, keep[0]["update_id"])
            return
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        self._confirmed_offset = max(self._confirmed_offset, offset)

    def _deliverable(self) -> list[JSONDict]:
        allowed = self._allowed_updates

        def is_allowed(update: JSONDict) -> bool:
            if update["update_id"] in self._unfiltered_ids:
                return True
            kinds = [k for k in update if k != "update_id"]
            kind = kinds[0] if kinds else ""
            if not allowed:
                return kind not in _NOT_DEFAULT_UPDATE_TYPES
            return kind in allowed

        # Telegram never creates updates of types that are not allowed: drop them.
        self._updates = [u for u in self._updates if is_allowed(u)]
        return list(self._updates)

    def _delete_webhook(self, params: dict[str, Any]) -> bool:
        with self._cond:
            self._webhook = None
            if params.get("drop_pending_updates") is True:
                self._updates.clear()
            self._cond.notify_all()
        return True

    def _set_webhook(self, params: dict[str, Any]) -> bool:
        url = params.get("url")
        if not isinstance(url, str) or not url:
            return self._delete_webhook(params)
        if not url.startswith("https://"):
            raise _bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not re.match(r"^[A-Za-z0-9_-]{1,256}$", str(secret)):
            raise _bad_request("secret token contains unallowed characters")
        with self._cond:
            if params.get("drop_pending_updates") is True:
                self._updates.clear()
            self._webhook = {
                "url": url,
                "secret_token": secret,
                "allowed_updates": params.get("allowed_updates"),
                "max_connections": params.get("max_connections", 40),
            }
            self._poll_generation += 1  # terminate a running long poll
            self._cond.notify_all()
        return True

    def _get_webhook_info(self, params: dict[str, Any]) -> JSONDict:
        with self._lock:
            info: JSONDict = {
                "url": self._webhook["url"] if self._webhook else "",
                "has_custom_certificate": False,
                "pending_update_count": len(self._updates),
            }
            if self._webhook:
                info["max_connections"] = self._webhook["max_connections"]
                if self._webhook["allowed_updates"] is not None:
                    info["allowed_updates"] = self._webhook["allowed_updates"]
            return info

    def _answer_inline_query(self, params: dict[str, Any]) -> bool:
        results = params.get("results", [])
        if not isinstance(results, list):
            raise _bad_request("can't parse inline query results JSON object")
        if len(results) > MAX_INLINE_RESULTS:
            raise _bad_request("RESULTS_TOO_MUCH")
        seen: set[str] = set()
        for result in results:
            if not isinstance(result, dict) or "type" not in result:
                raise _bad_request("can't parse inline query result")
            result_id = str(result.get("id", ""))
            if not 1 <= len(result_id.encode("utf-8")) <= MAX_INLINE_RESULT_ID_BYTES:
                raise _bad_request("RESULT_ID_INVALID")
            if result_id in seen:
                raise _bad_request("RESULT_ID_DUPLICATE")
            seen.add(result_id)
            content = result.get("input_message_content")
            if isinstance(content, dict) and "message_text" in content:
                self._validate_text(content["message_text"], content.get("parse_mode"))
            self._validate_reply_markup(result.get("reply_markup"))
        self._check_query_id(self._open_inline_queries, params.get("inline_query_id"))
        return True

    def _set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _bad_request("can't parse commands JSON object")
        if len(commands) > MAX_COMMANDS:
            raise _bad_request("BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            if not isinstance(command, dict):
                raise _bad_request("can't parse BotCommand")
            name = command.get("command")
            if not isinstance(name, str) or not _COMMAND_RE.match(name):
                raise _bad_request("BOT_COMMAND_INVALID")
            description = command.get("description")
            if not isinstance(description, str) or not 1 <= len(description) <= MAX_COMMAND_DESCRIPTION_LENGTH:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._commands_key(params.get("scope"), params.get("language_code"))
        with self._lock:
            self._commands[key] = [{"command": c["command"], "description": c["description"]} for c in commands]
        return True

    def _delete_my_commands(self, params: dict[str, Any]) -> bool:
        with self._lock:
            self._commands.pop(self._commands_key(params.get("scope"), params.get("language_code")), None)
        return True

    def _get_my_commands(self, params: dict[str, Any]) -> list[JSONDict]:
        return self.get_commands(params.get("scope"), params.get("language_code", ""))

    def _set_description(self, params: dict[str, Any], key: str, store: dict[str, str], limit: int) -> bool:
        value = params.get(key) or ""
        if not isinstance(value, str) or len(value) > limit:
            raise _bad_request(f"{key.upper()}_INVALID" if key == "description" else "ABOUT_TOO_LONG")
        language = params.get("language_code") or ""
        with self._lock:
            if value:
                store[language] = value
            else:
                store.pop(language, None)
        return True

    def _set_my_description(self, params: dict[str, Any]) -> bool:
        return self._set_description(params, "description", self._descriptions, MAX_DESCRIPTION_LENGTH)

    def _set_my_short_description(self, params: dict[str, Any]) -> bool:
        return self._set_description(
            params, "short_description", self._short_descriptions, MAX_SHORT_DESCRIPTION_LENGTH
        )

    def _get_my_description(self, params: dict[str, Any]) -> JSONDict:
        with self._lock:
            return {"description": self._descriptions.get(params.get("language_code") or "", "")}

    def _get_my_short_description(self, params: dict[str, Any]) -> JSONDict:
        with self._lock:
            return {"short_description": self._short_descriptions.get(params.get("language_code") or "", "")}

    def _set_chat_menu_button(self, params: dict[str, Any]) -> bool:
        button = params.get("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in ("commands", "web_app", "default"):
            raise _bad_request("can't parse menu button")
        chat_id = params.get("chat_id")
        with self._lock:
            self._menu_buttons[chat_id if isinstance(chat_id, int) else None] = button
        return True

    def _get_chat_menu_button(self, params: dict[str, Any]) -> JSONDict:
        chat_id = params.get("chat_id")
        with self._lock:
            button = self._menu_buttons.get(chat_id if isinstance(chat_id, int) else None)
            if button is None and chat_id is not None:
                button = self._menu_buttons.get(None)
        if button is None or button.get("type") == "default":
            return {"type": "commands"}
        return dict(button)

    def _send_chat_action(self, params: dict[str, Any]) -> bool:
        self._require_chat_id(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise _bad_request("wrong parameter action in request")
        return True

    def _get_file(self, params: dict[str, Any]) -> JSONDict:
        file_id = params.get("file_id")
        if not isinstance(file_id, str) or not file_id:
            raise _bad_request("invalid file_id")
        with self._lock:
            content = self._files.get(file_id)
        result: JSONDict = {"file_id": file_id, "file_unique_id": f"uniq-{file_id}", "file_path": f"files/{file_id}"}
        if content is not None:
            result["file_size"] = len(content)
        return result

    def _return_true(self, params: dict[str, Any]) -> bool:
        return True
