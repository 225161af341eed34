"""HTTP handling: answering a request, files, and dispatching a method to its implementation."""

from __future__ import annotations

import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http import HTTPStatus
from typing import Any

from testkit.botapi_double.limits import _FILE_PATH_RE, _METHOD_PATH_RE, JSONDict
from testkit.botapi_double.wire import (
    Call,
    UploadedFile,
    _ApiError,
    _bad_request,
    _decode_value,
    _Handler,
    _parse_body,
    _read_body,
    _shutdown_socket,
)

# Each method the double implements, and the name of its implementation (the mixins' ``_get_me``…).
_METHODS: dict[str, str] = {
    "getMe": "_get_me",
    "getUpdates": "_get_updates",
    "deleteWebhook": "_delete_webhook",
    "setWebhook": "_set_webhook",
    "getWebhookInfo": "_get_webhook_info",
    "sendMessage": "_send_message",
    "editMessageText": "_edit_message_text",
    "editMessageReplyMarkup": "_edit_message_reply_markup",
    "deleteMessage": "_delete_message",
    "answerCallbackQuery": "_answer_callback_query",
    "answerInlineQuery": "_answer_inline_query",
    "setMyCommands": "_set_my_commands",
    "deleteMyCommands": "_delete_my_commands",
    "getMyCommands": "_get_my_commands",
    "setMyDescription": "_set_my_description",
    "setMyShortDescription": "_set_my_short_description",
    "getMyDescription": "_get_my_description",
    "getMyShortDescription": "_get_my_short_description",
    "setChatMenuButton": "_set_chat_menu_button",
    "getChatMenuButton": "_get_chat_menu_button",
    "sendChatAction": "_send_chat_action",
    "getFile": "_get_file",
    "close": "_return_true",
    "logOut": "_return_true",
}
_CANONICAL: dict[str, str] = {name.lower(): name for name in _METHODS} | {
    name.lower(): name
    for name in (
        "sendPhoto",
        "sendDocument",
        "sendSticker",
        "sendVoice",
        "sendLocation",
        "sendAudio",
        "sendVideo",
        "sendAnimation",
        "copyMessage",
        "forwardMessage",
    )
}


class Serving:
    """HTTP handling: answering a request, files, and dispatching a method to its implementation.

    A part of :class:`~testkit.botapi_double.double.BotApiDouble`, whose ``__init__`` sets up the state
    these methods use.
    """

    # ---------------------------------------------------------------- HTTP handling

    def _register_connection(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.add(conn)
            # A thread stays listed until it has ended (it still runs a moment after its connection is
            # unregistered), so stop() can wait for it.
            self._handler_threads = {t for t in self._handler_threads if t.is_alive()}
            self._handler_threads.add(threading.current_thread())
            stopping = self._stopping.is_set()
        if stopping:
            _shutdown_socket(conn)

    def _unregister_connection(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.discard(conn)

    def _handle_http(self, handler: _Handler) -> None:
        with self._cond:
            self._requests_open += 1
        try:
            self._answer_http(handler)
        finally:
            with self._cond:
                self._requests_open -= 1
                self._cond.notify_all()

    def _answer_http(self, handler: _Handler) -> None:
        url = urllib.parse.urlsplit(handler.path)
        path = urllib.parse.unquote(url.path)
        body = _read_body(handler)
        file_match = _FILE_PATH_RE.match(path)
        if file_match and handler.command == "GET":
            self._serve_file(handler, file_match.group("token"), file_match.group("path"))
            return
        match = _METHOD_PATH_RE.match(path)
        if match is None:
            handler.send_json(404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        if match.group("token") != self._token:
            handler.send_json(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
            return
        method = match.group("method")
        method = _CANONICAL.get(method.lower(), method)
        try:
            params, files = _parse_body(handler.headers.get("Content-Type", ""), body)
            query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
            params = {k: _decode_value(k, v) for k, v in {**query, **params}.items()}
        except (ValueError, UnicodeDecodeError) as err:
            handler.send_json(400, _bad_request(f"can't parse request: {err}").payload())
            return

        is_poll = method == "getUpdates"
        call = Call(method, params, time.time(), files)
        with self._cond:
            self._calls.append(call)
            if not is_poll:
                self._in_flight += 1
                self._last_activity = time.monotonic()
            self._cond.notify_all()
        try:
            status, payload = self._answer(call)
            with self._cond:
                call.response = payload
                call.status = status
                self._cond.notify_all()
            if payload is None:
                handler.close_connection = True  # drop: close without a response
            elif set(payload) == {"page"}:
                handler.send_bytes(status, payload["page"].encode("utf-8"), "text/html")
            else:
                handler.send_json(status, payload)
        finally:
            if not is_poll:
                with self._cond:
                    self._in_flight -= 1
                    self._last_activity = time.monotonic()
                    self._cond.notify_all()

    def _answer(self, call: Call) -> tuple[int, JSONDict | None]:
        """Compute the (status, JSON body) answer to ``call``; a None body means "drop the connection",
        a body ``{"page": html}`` is sent as that HTML page."""
        fault = self._pop_fault(call.method, call.params)
        if fault is not None and fault.kind == "hold":
            if not self._wait_for_release():
                return 0, None
        elif fault is not None:
            if fault.kind == "drop":
                return 0, None
            if fault.kind == "page":
                return fault.status, {"page": fault.page}
            if fault.kind == "delay":
                self._stopping.wait(fault.seconds)
            elif fault.kind == "rate_limit":
                error = _ApiError(
                    HTTPStatus.TOO_MANY_REQUESTS,
                    f"Too Many Requests: retry after {fault.retry_after}",
                    {"retry_after": fault.retry_after},
                )
                return error.status, error.payload()
            else:
                return fault.status, {"ok": False, "error_code": fault.status, "description": fault.description}
        try:
            result = self._dispatch(call.method, call.params, call.files)
        except _ApiError as err:
            return err.status, err.payload()
        return HTTPStatus.OK, {"ok": True, "result": result}

    def _wait_for_release(self) -> bool:
        """Wait in a hold until :meth:`release_held`; True when the call is to be carried out."""
        with self._cond:
            self._held += 1
            self._cond.notify_all()
            while self._release is None and not self._stopping.is_set():
                self._cond.wait(0.1)
            self._held -= 1
            self._cond.notify_all()
            return self._release == "answer"

    def _serve_file(self, handler: _Handler, token: str, path: str) -> None:
        if token != self._token:
            handler.send_json(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
            return
        file_id = path.removeprefix("files/")
        with self._lock:
            content = self._files.get(file_id)
        if content is None:
            handler.send_json(404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        handler.send_bytes(200, content, "application/octet-stream")

    def _dispatch(self, method: str, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        if method.startswith("send") or method in ("copyMessage", "forwardMessage"):
            chat_id = params.get("chat_id")
            with self._lock:
                blocked = chat_id in self._blocked_chats
            if blocked:
                raise _ApiError(403, "Forbidden: bot was blocked by the user")
        if "chat_id" in params and params.get("chat_id") in self._migrated:
            raise _ApiError(
                HTTPStatus.BAD_REQUEST,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": self._migrated[params["chat_id"]]},
            )
        implementation = _METHODS.get(method)
        if method == "copyMessage":
            return {"message_id": self._send_media(method, params, files)["message_id"]}
        if method == "forwardMessage":
            return self._send_media(method, params, files)
        if implementation is None:
            if method.startswith("send") and method != "sendChatAction":
                return self._send_media(method, params, files)
            return True
        return getattr(self, implementation)(params)
