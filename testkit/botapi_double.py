"""A small, in-process double of the Telegram Bot API for tests.

The double is a real HTTP server bound to ``127.0.0.1`` on an ephemeral port.  A real
python-telegram-bot ``Application`` is pointed at it via ``base_url`` (see :attr:`BotApiDouble.base_url`),
so requests arrive exactly as the library sends them (``POST /bot<TOKEN>/<method>``, form-urlencoded or
multipart with nested values JSON-encoded; JSON bodies are accepted too).

It implements the handful of methods the bot uses with Telegram's validation rules and error texts,
long polling with offset confirmation, call recording with waiting helpers, update builders and fault
injection (5xx, 429, 403 for blocked chats, dropped connections, delays, a proxy's HTML error page,
calls held until the test lets them go).  Only the standard library is used.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.parser
import email.policy
import functools
import html
import itertools
import json
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal

__all__ = [
    "BOT_ID",
    "BOT_USERNAME",
    "BotApiDouble",
    "Call",
    "UploadedFile",
    "html_to_plain",
]

BOT_ID = 999
BOT_USERNAME = "kyr_test_bot"
BOT_FIRST_NAME = "KYR Test Bot"
DEFAULT_TOKEN = "123456:TEST-TOKEN"

JSONDict = dict[str, Any]
NonTextKind = Literal["photo", "sticker", "voice", "location", "document"]

# --------------------------------------------------------------------------------------------------
# Telegram limits
# --------------------------------------------------------------------------------------------------
MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_INLINE_RESULTS = 50
MAX_INLINE_RESULT_ID_BYTES = 64
MAX_COMMANDS = 100
MAX_COMMAND_LENGTH = 32
MAX_COMMAND_DESCRIPTION_LENGTH = 256
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 512
MAX_SHORT_DESCRIPTION_LENGTH = 120
MAX_GET_UPDATES_LIMIT = 100

_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_INT_RE = re.compile(r"^-?\d+$")
_FLOAT_RE = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")
_METHOD_PATH_RE = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>[A-Za-z0-9_]+)/?$")
_FILE_PATH_RE = re.compile(r"^/file/bot(?P<token>[^/]+)/(?P<path>.+)$")
# What Telegram marks as a bot command / a mention (the entity ends where these stop matching).
_BOT_COMMAND_RE = re.compile(r"^/[A-Za-z0-9_]{1,64}(@[A-Za-z0-9_]{3,32})?")
_MENTION_RE = re.compile(r"(?<![A-Za-z0-9_])@[A-Za-z0-9_]{5,32}")
GENERAL_TOPIC_ID = 1  # the General topic of a forum: messages there carry no message_thread_id

# Update types Telegram delivers when allowed_updates was never specified (or is an empty list).
_NOT_DEFAULT_UPDATE_TYPES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)

# Parameters that are always strings, even if their content looks like a number or JSON.
_STRING_FIELDS = frozenset(
    {
        "text",
        "caption",
        "query",
        "data",
        "description",
        "short_description",
        "url",
        "secret_token",
        "parse_mode",
        "action",
        "language_code",
        "command",
        "title",
        "name",
        "emoji",
        "next_offset",
        "switch_pm_text",
        "switch_pm_parameter",
        "ip_address",
        "question",
        "address",
        "first_name",
        "last_name",
        "phone_number",
        "vcard",
        "inline_query_id",
        "callback_query_id",
        "inline_message_id",
        "business_connection_id",
        "custom_emoji_id",
        "message_effect_id",
        "file_id",
        "sticker",
        "photo",
        "document",
        "voice",
        "audio",
        "video",
        "animation",
        "thumbnail",
        "certificate",
    }
)

# Parameters that are numeric (besides the generic ``*_id`` ones that are not in _STRING_FIELDS).
_NUMERIC_FIELDS = frozenset(
    {
        "chat_id",
        "from_chat_id",
        "message_id",
        "user_id",
        "offset",
        "limit",
        "timeout",
        "cache_time",
        "max_connections",
        "duration",
        "width",
        "height",
        "length",
        "latitude",
        "longitude",
        "horizontal_accuracy",
        "live_period",
        "heading",
        "proximity_alert_radius",
        "until_date",
        "message_thread_id",
        "reply_to_message_id",
    }
)

# --------------------------------------------------------------------------------------------------
# Public data types
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request."""

    filename: str | None
    content_type: str | None
    content: bytes


@dataclass(eq=False)
class Call:
    """One recorded Bot API request, recorded when it arrives (before faults and validation).

    ``status`` and ``response`` are filled in once the double has answered: ``status`` is the HTTP
    status (0 if the connection was dropped) and ``response`` the JSON body sent (``{"ok": ..., ...}``).
    """

    method: str
    params: dict[str, Any]
    time: float
    files: dict[str, UploadedFile] = field(default_factory=dict)
    status: int | None = None
    response: JSONDict | None = None

    @property
    def answered(self) -> bool:
        return self.status is not None

    @property
    def ok(self) -> bool:
        return self.status == HTTPStatus.OK

    @property
    def result(self) -> Any:
        """The ``result`` of a successful answer (e.g. the Message dict of sendMessage), else None."""
        return self.response.get("result") if self.response else None

    def __repr__(self) -> str:
        return f"Call({self.method!r}, {_short(self.params)})"


class _ApiError(Exception):
    """An error answer of the Bot API."""

    def __init__(self, status: int, description: str, parameters: JSONDict | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def payload(self) -> JSONDict:
        body: JSONDict = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _bad_request(description: str) -> _ApiError:
    return _ApiError(HTTPStatus.BAD_REQUEST, f"Bad Request: {description}")


@dataclass
class _Fault:
    kind: Literal["fail", "rate_limit", "drop", "delay", "page", "hold"]
    status: int = 500
    description: str = ""
    retry_after: int = 0
    seconds: float = 0.0
    chat_id: int | str | None = None  # only calls for this chat (None: any call)
    page: str = ""  # "page": the HTML body sent instead of a JSON answer


def _auto_entities(text: str) -> list[JSONDict]:
    """The entities Telegram marks by itself in a text or caption: a bot command at the start (only
    the command-shaped part: an invisible character after it is not part of it) and @mentions."""
    entities: list[JSONDict] = []
    command = _BOT_COMMAND_RE.match(text)
    if command:
        entities.append({"type": "bot_command", "offset": 0, "length": _utf16_len(command.group())})
    for mention in _MENTION_RE.finditer(text):
        offset = _utf16_len(text[: mention.start()])
        entities.append({"type": "mention", "offset": offset, "length": _utf16_len(mention.group())})
    return entities


# --------------------------------------------------------------------------------------------------
# Helpers: HTML parsing (approximating Telegram's parser), parameter decoding
# --------------------------------------------------------------------------------------------------

_SUPPORTED_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "a",
        "code",
        "pre",
        "tg-spoiler",
        "span",
        "blockquote",
        "tg-emoji",
    }
)
_TAG_RE = re.compile(r"<(?P<close>/?)(?P<name>[A-Za-z][A-Za-z0-9-]*)(?P<attrs>[^<>]*)>")
_ATTR_RE = re.compile(r"""\s*([A-Za-z-]+)\s*(?:=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_ENTITY_RE = re.compile(r"&(lt|gt|amp|quot|#\d+|#[xX][0-9a-fA-F]+);")


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _parse_attrs(raw: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    pos = 0
    raw = raw.rstrip()
    while pos < len(raw):
        match = _ATTR_RE.match(raw, pos)
        if not match or match.end() == pos:
            break
        name = match.group(1).lower()
        value = next((g for g in match.groups()[1:] if g is not None), "")
        attrs[name] = html.unescape(value)
        pos = match.end()
    return attrs


def html_to_plain(text: str) -> str:
    """Validate Telegram-flavoured HTML and return the text with tags stripped and entities decoded.

    Raises ``_ApiError`` (400 "can't parse entities: ...") for malformed markup, like Telegram does.
    """
    out: list[str] = []
    stack: list[str] = []
    pos = 0
    while True:
        lt = text.find("<", pos)
        chunk = text[pos:] if lt < 0 else text[pos:lt]
        out.append(_ENTITY_RE.sub(lambda m: html.unescape(m.group(0)), chunk))
        if lt < 0:
            break
        offset = _byte_offset(text, lt)
        match = _TAG_RE.match(text, lt)
        if match is None:
            if text.find(">", lt) < 0:
                raise _bad_request(f"can't parse entities: Unclosed start tag at byte offset {offset}")
            bad = re.match(r"</?([^\s<>]*)", text[lt:])
            name = bad.group(1) if bad else ""
            raise _bad_request(f'can\'t parse entities: Unsupported start tag "{name}" at byte offset {offset}')
        name = match.group("name").lower()
        if match.group("close"):
            if not stack:
                raise _bad_request(f"can't parse entities: Unexpected end tag at byte offset {offset}")
            expected = stack.pop()
            if expected != name:
                raise _bad_request(
                    f"can't parse entities: Unmatched end tag at byte offset {offset}, "
                    f'expected "</{expected}>", found "</{name}>"'
                )
        else:
            if name not in _SUPPORTED_TAGS:
                raise _bad_request(f'can\'t parse entities: Unsupported start tag "{name}" at byte offset {offset}')
            attrs = _parse_attrs(match.group("attrs"))
            if name == "span" and attrs.get("class") != "tg-spoiler":
                raise _bad_request(
                    f'can\'t parse entities: Tag "span" must have class "tg-spoiler" at byte offset {offset}'
                )
            if name == "tg-emoji" and not attrs.get("emoji-id"):
                raise _bad_request(
                    "can't parse entities: Custom emoji entity must contain a valid custom emoji "
                    f"identifier at byte offset {offset}"
                )
            stack.append(name)
        pos = match.end()
    if stack:
        raise _bad_request(f"can't parse entities: Can't find end tag corresponding to start tag \"{stack[-1]}\"")
    return "".join(out)


def _plain_text(text: str, parse_mode: str | None) -> str:
    if parse_mode and parse_mode.lower() == "html":
        return html_to_plain(text)
    return text


def _decode_value(key: str, value: Any) -> Any:
    """Turn one transmitted parameter value into a plain Python value."""
    if not isinstance(value, str) or key in _STRING_FIELDS:
        return value
    stripped = value.strip()
    if stripped[:1] in ("{", "["):
        try:
            return json.loads(stripped)
        except ValueError:
            return value
    if stripped in ("true", "false"):
        return stripped == "true"
    numeric = key in _NUMERIC_FIELDS or key.endswith("_id")
    if numeric and _INT_RE.match(stripped):
        return int(stripped)
    if numeric and _FLOAT_RE.match(stripped):
        return float(stripped)
    return value


def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        chunks: list[bytes] = []
        while True:
            size = int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                handler.rfile.readline()
                break
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
        return b"".join(chunks)
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""


def _parse_body(content_type: str, body: bytes) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
    params: dict[str, Any] = {}
    files: dict[str, UploadedFile] = {}
    if not body:
        return params, files
    ctype = content_type.split(";")[0].strip().lower()
    if ctype == "application/json":
        decoded = json.loads(body.decode("utf-8"))
        if not isinstance(decoded, dict):
            raise _bad_request("JSON body must be an object")
        return decoded, files
    if ctype == "multipart/form-data":
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
        )
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if not isinstance(name, str):
                continue
            payload = part.get_payload(decode=True)
            content = payload if isinstance(payload, bytes) else b""
            filename = part.get_filename()
            if filename is not None:
                files[name] = UploadedFile(filename, part.get_content_type(), content)
            else:
                charset = part.get_content_charset() or "utf-8"
                params[name] = content.decode(charset)
        return params, files
    # application/x-www-form-urlencoded (also the fallback for a missing content type)
    for key, value in urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True):
        params[key] = value
    return params, files


def _short(value: Any, limit: int = 200) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _shutdown_socket(conn: socket.socket) -> None:
    with contextlib.suppress(OSError):
        conn.shutdown(socket.SHUT_RDWR)


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


# --------------------------------------------------------------------------------------------------
# HTTP plumbing
# --------------------------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    double: BotApiDouble

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Connections reset by the client (e.g. a cancelled long poll) are normal; stay quiet.
        return


class _Handler(BaseHTTPRequestHandler):
    disable_nagle_algorithm = True  # headers and body go out as separate writes: no 40 ms stall
    protocol_version = "HTTP/1.1"
    server: _Server
    server_version = "BotApiDouble/1.0"

    def setup(self) -> None:
        super().setup()
        self.server.double._register_connection(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.server.double._unregister_connection(self.connection)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return

    def do_POST(self) -> None:
        self.server.double._handle_http(self)

    def do_GET(self) -> None:
        self.server.double._handle_http(self)

    def send_json(self, status: int, payload: Any) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_bytes(status, body, "application/json")

    def send_bytes(self, status: int, body: bytes, content_type: str) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
        except OSError:
            self.close_connection = True


# --------------------------------------------------------------------------------------------------
# The double
# --------------------------------------------------------------------------------------------------


class BotApiDouble:
    """A Telegram Bot API double serving on 127.0.0.1 from a background thread.

    Use as a context manager or call :meth:`start` / :meth:`stop`.
    """

    def __init__(
        self, token: str = DEFAULT_TOKEN, *, strict_query_ids: bool = True, can_read_all_group_messages: bool = False
    ) -> None:
        self._token = token
        self._strict_query_ids = strict_query_ids
        # BotFather's default is group privacy mode on: getMe says the bot cannot read every message.
        self.can_read_all_group_messages = can_read_all_group_messages
        self._migrated: dict[int | str, int] = {}  # old group id -> its supergroup's id
        self._forum_topics: dict[int | str, set[int]] = {}  # forum chat id -> open topic ids
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self._handler_threads: set[threading.Thread] = set()

        self._calls: list[Call] = []
        self._last_activity = time.monotonic()
        self._in_flight = 0
        self._requests_open = 0  # requests being answered, long polls included (stop lets them finish)

        self._updates: list[JSONDict] = []  # unconfirmed updates, sorted by update_id
        self._delivered_ids: set[int] = set()
        self._next_update_id = 1
        self._confirmed_offset = 0
        self._allowed_updates: list[str] | None = None
        self._poll_generation = 0

        self._last_message_ids: dict[int | str, int] = {}
        self._messages: dict[tuple[int | str, int], JSONDict] = {}
        self._message_sources: dict[tuple[int | str, int], tuple[str, str | None]] = {}
        self._chats: dict[int | str, JSONDict] = {}
        self._query_ids = itertools.count(1)
        self._open_callback_queries: set[str] = set()
        self._open_inline_queries: set[str] = set()

        self._faults: dict[str, deque[_Fault]] = {}
        self._blocked_chats: set[int | str] = set()
        self._held = 0  # calls waiting in a "hold" fault
        self._release: Literal["answer", "drop"] | None = None
        self._unfiltered_ids: set[int] = set()  # updates delivered whatever allowed_updates says

        self._webhook: JSONDict | None = None
        self._commands: dict[tuple[str, str], list[JSONDict]] = {}
        self._descriptions: dict[str, str] = {}
        self._short_descriptions: dict[str, str] = {}
        self._menu_buttons: dict[int | None, JSONDict] = {}
        self._files: dict[str, bytes] = {}

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> BotApiDouble:
        if self._server is not None:
            raise RuntimeError("BotApiDouble already started")
        self._stopping.clear()
        server = _Server(("127.0.0.1", 0), _Handler)
        server.double = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="BotApiDouble", daemon=True
        )
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving: release long-poll waiters, let every request already being answered send its
        answer (a released long poll gets an empty result), then close all connections and wait for
        every handler thread to end."""
        server, thread = self._server, self._thread
        if server is None:
            return
        deadline = time.monotonic() + timeout
        with self._cond:
            self._stopping.set()
            self._cond.notify_all()
        server.shutdown()  # no new connections
        with self._cond:
            while self._requests_open and (left := deadline - time.monotonic()) > 0:
                self._cond.wait(left)
        with self._lock:
            connections = list(self._connections)
            handler_threads = list(self._handler_threads)
        for conn in connections:  # idle keep-alive connections (and anything still stuck)
            _shutdown_socket(conn)
        server.server_close()
        if thread is not None:
            thread.join(max(0.0, deadline - time.monotonic()))
        for handler_thread in handler_threads:
            handler_thread.join(max(0.0, deadline - time.monotonic()))
        self._server = None
        self._thread = None

    def __enter__(self) -> BotApiDouble:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ---------------------------------------------------------------- properties

    @property
    def token(self) -> str:
        return self._token

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("BotApiDouble is not running")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    @property
    def bot_user(self) -> JSONDict:
        return {"id": BOT_ID, "is_bot": True, "first_name": BOT_FIRST_NAME, "username": BOT_USERNAME}

    @property
    def confirmed_offset(self) -> int:
        """The highest ``offset`` the client passed to getUpdates (0 if none)."""
        with self._lock:
            return self._confirmed_offset

    @property
    def webhook(self) -> JSONDict | None:
        """The active webhook settings (``url``, ``secret_token``, ...) or None."""
        with self._lock:
            return dict(self._webhook) if self._webhook else None

    # ---------------------------------------------------------------- recorded calls

    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def calls_of(self, method: str) -> list[Call]:
        wanted = method.lower()
        with self._lock:
            return [c for c in self._calls if c.method.lower() == wanted]

    def sent_messages(self) -> list[dict[str, Any]]:
        """Parameters of every sendMessage call, in order."""
        return [c.params for c in self.calls_of("sendMessage")]

    def result_of(self, call: Call, timeout: float = 10) -> Any:
        """Wait until ``call`` is answered and return its ``result`` (AssertionError if it failed)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not call.answered:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"{call!r} was not answered within {timeout}s")
                self._cond.wait(remaining)
        if not call.ok:
            raise AssertionError(f"{call!r} failed: {call.status} {call.response}")
        return call.result

    def message_id_of(self, call: Call, timeout: float = 10) -> int:
        """The message_id of the message a send*/edit* call created or edited."""
        result = self.result_of(call, timeout)
        if not isinstance(result, dict) or "message_id" not in result:
            raise AssertionError(f"{call!r} did not return a message: {result!r}")
        return int(result["message_id"])

    def clear(self) -> None:
        """Forget recorded calls (server state such as messages and updates is kept)."""
        with self._lock:
            self._calls.clear()

    def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 10,
        predicate: Callable[[Call], bool] | None = None,
        *,
        answered: bool = False,
    ) -> list[Call]:
        """Block until at least ``count`` calls of ``method`` (matching ``predicate``) were recorded.

        With ``answered=True`` only calls the double has already answered count (so ``Call.result``
        is available).
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                matching = [
                    c
                    for c in self.calls_of(method)
                    if (predicate is None or predicate(c)) and (c.answered or not answered)
                ]
                if len(matching) >= count:
                    return matching
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    recent = "\n".join(f"  {c!r}" for c in self._calls[-20:]) or "  (none)"
                    raise AssertionError(
                        f"expected {count} call(s) of {method}"
                        f"{' matching predicate' if predicate else ''} within {timeout}s, "
                        f"got {len(matching)}; recent calls:\n{recent}"
                    )
                self._cond.wait(remaining)

    async def async_wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 10,
        predicate: Callable[[Call], bool] | None = None,
        *,
        answered: bool = False,
    ) -> list[Call]:
        """:meth:`wait_for` for async tests: waits in a worker thread so the event loop keeps running."""
        return await asyncio.to_thread(
            functools.partial(self.wait_for, method, count, timeout, predicate, answered=answered)
        )

    async def async_wait_idle(self, quiet: float = 0.3, timeout: float = 10) -> None:
        """:meth:`wait_idle` for async tests (does not block the event loop)."""
        await asyncio.to_thread(self.wait_idle, quiet, timeout)

    def wait_idle(self, quiet: float = 0.3, timeout: float = 10) -> None:
        """Block until every pushed update was delivered, no request (other than getUpdates) is in
        flight and no such request arrived for ``quiet`` seconds."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                now = time.monotonic()
                undelivered = [u for u in self._updates if u["update_id"] not in self._delivered_ids]
                busy = self._in_flight > 0 or bool(undelivered)
                idle_for = now - self._last_activity
                if not busy and idle_for >= quiet:
                    return
                if now >= deadline:
                    raise AssertionError(
                        f"double not idle after {timeout}s: {self._in_flight} request(s) in flight, "
                        f"{len(undelivered)} undelivered update(s), last activity {idle_for:.2f}s ago; "
                        f"recent calls: {self._calls[-10:]!r}"
                    )
                wait = quiet - idle_for if not busy else 0.05
                self._cond.wait(max(0.01, min(wait, deadline - now)))

    # ---------------------------------------------------------------- updates

    def push_update(self, update: JSONDict, *, ignore_allowed: bool = False) -> int:
        """Queue an update for getUpdates; assigns ``update_id`` if missing. Returns the update_id.

        ``ignore_allowed``: deliver it even if its type is not in the client's ``allowed_updates`` (a Bot
        API server that does not honour the list, or a list another copy of the bot changed)."""
        with self._cond:
            update = dict(update)
            update_id = self._assign_update_id(update)
            if ignore_allowed:
                self._unfiltered_ids.add(update_id)
            self._updates.append(update)
            self._updates.sort(key=lambda u: u["update_id"])
            self._cond.notify_all()
            return update_id

    def pending_updates(self) -> list[JSONDict]:
        """Updates not yet confirmed by the client (delivered or not)."""
        with self._lock:
            return [dict(u) for u in self._updates]

    def _assign_update_id(self, update: JSONDict) -> int:
        with self._lock:
            if "update_id" not in update:
                update["update_id"] = self._next_update_id
            update_id = int(update["update_id"])
            self._next_update_id = max(self._next_update_id, update_id + 1)
            return update_id

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

    # ---------------------------------------------------------------- fault injection

    def fail_next(
        self, method: str, times: int = 1, status: int = 500, description: str = "Internal Server Error"
    ) -> None:
        self._add_fault(method, times, _Fault("fail", status=status, description=description))

    def rate_limit_next(
        self, method: str, times: int = 1, retry_after: int = 1, chat_id: int | str | None = None
    ) -> None:
        """Answer the next ``times`` calls of ``method`` (for ``chat_id`` only, if given) with 429."""
        self._add_fault(method, times, _Fault("rate_limit", status=429, retry_after=retry_after, chat_id=chat_id))

    def migrate_chat(self, group_id: int, supergroup_id: int) -> None:
        """Upgrade a group to a supergroup: from now on, sending to ``group_id`` answers 400 with
        ``parameters.migrate_to_chat_id`` (as Telegram does)."""
        with self._lock:
            self._migrated[group_id] = supergroup_id
            self._chats[supergroup_id] = {"id": supergroup_id, "type": "supergroup", "title": "Test chat"}

    def open_forum_topic(self, chat_id: int, thread_id: int) -> None:
        """Make ``chat_id`` a forum supergroup with topic ``thread_id`` (besides General)."""
        with self._lock:
            self._forum_topics.setdefault(chat_id, set()).add(thread_id)
            self._chats[chat_id] = {"id": chat_id, "type": "supergroup", "title": "Test forum", "is_forum": True}

    def error_page_next(self, method: str, status: int = 502, page: str | None = None, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with an HTML error page, not JSON: what a front
        end (nginx, a load balancer) answers when the Bot API server behind it is down."""
        title = f"{status} Bad Gateway"
        body = page or f"<html><head><title>{title}</title></head><body><h1>{title}</h1><hr>nginx</body></html>\r\n"
        self._add_fault(method, times, _Fault("page", status=status, page=body))

    def hold_next(self, method: str, times: int = 1) -> None:
        """Keep the next ``times`` calls of ``method`` waiting, unanswered, until :meth:`release_held`
        (a request on its way, its outcome not yet known). :attr:`held` counts the waiting ones."""
        with self._lock:
            self._release = None
        self._add_fault(method, times, _Fault("hold"))

    def release_held(self, outcome: Literal["answer", "drop"]) -> None:
        """Let held calls go: ``"answer"`` carries them out and answers them; ``"drop"`` closes their
        connections, carrying out nothing (the request never reached Telegram). Later held calls go at
        once the same way."""
        with self._cond:
            self._release = outcome
            self._cond.notify_all()

    @property
    def held(self) -> int:
        """How many calls are waiting in a hold (see :meth:`hold_next`)."""
        with self._lock:
            return self._held

    def drop_next(self, method: str, times: int = 1) -> None:
        """Close the connection without answering the next ``times`` calls of ``method``."""
        self._add_fault(method, times, _Fault("drop"))

    def delay_next(self, method: str, seconds: float, times: int = 1) -> None:
        self._add_fault(method, times, _Fault("delay", seconds=seconds))

    def block_chat(self, chat_id: int | str) -> None:
        """Make send* methods to ``chat_id`` fail with 403 "bot was blocked by the user"."""
        with self._lock:
            self._blocked_chats.add(chat_id)

    def unblock_chat(self, chat_id: int | str) -> None:
        with self._lock:
            self._blocked_chats.discard(chat_id)

    def clear_faults(self, method: str | None = None) -> None:
        """Forget injected faults not yet used (of ``method``, or of every method)."""
        with self._lock:
            if method is None:
                self._faults.clear()
            else:
                self._faults.pop(method.lower(), None)

    def _add_fault(self, method: str, times: int, fault: _Fault) -> None:
        with self._lock:
            queue = self._faults.setdefault(method.lower(), deque())
            queue.extend(fault for _ in range(times))

    def _pop_fault(self, method: str, params: dict[str, Any] | None = None) -> _Fault | None:
        chat_id = (params or {}).get("chat_id")
        with self._lock:
            queue = self._faults.get(method.lower())
            for fault in queue or ():
                if fault.chat_id is None or fault.chat_id == chat_id:
                    queue.remove(fault)
                    return fault
            return None

    # ---------------------------------------------------------------- misc helpers

    def add_file(self, file_id: str, content: bytes) -> None:
        """Make ``file_id`` downloadable via getFile + base_file_url."""
        with self._lock:
            self._files[file_id] = content

    def get_commands(self, scope: JSONDict | None = None, language_code: str = "") -> list[JSONDict]:
        with self._lock:
            return list(self._commands.get(self._commands_key(scope, language_code), []))

    def post_update_to(self, url: str, update: JSONDict, secret_token: str | None = None) -> int:
        """POST an update to a webhook ``url`` like Telegram does; returns the HTTP status code."""
        update = dict(update)
        self._assign_update_id(update)
        headers = {"Content-Type": "application/json"}
        if secret_token is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret_token
        request = urllib.request.Request(url, data=json.dumps(update).encode("utf-8"), headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return int(response.status)
        except urllib.error.HTTPError as err:
            return int(err.code)

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
        return implementation(self, params)

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


_METHODS: dict[str, Callable[[BotApiDouble, dict[str, Any]], Any]] = {
    "getMe": BotApiDouble._get_me,
    "getUpdates": BotApiDouble._get_updates,
    "deleteWebhook": BotApiDouble._delete_webhook,
    "setWebhook": BotApiDouble._set_webhook,
    "getWebhookInfo": BotApiDouble._get_webhook_info,
    "sendMessage": BotApiDouble._send_message,
    "editMessageText": BotApiDouble._edit_message_text,
    "editMessageReplyMarkup": BotApiDouble._edit_message_reply_markup,
    "deleteMessage": BotApiDouble._delete_message,
    "answerCallbackQuery": BotApiDouble._answer_callback_query,
    "answerInlineQuery": BotApiDouble._answer_inline_query,
    "setMyCommands": BotApiDouble._set_my_commands,
    "deleteMyCommands": BotApiDouble._delete_my_commands,
    "getMyCommands": BotApiDouble._get_my_commands,
    "setMyDescription": BotApiDouble._set_my_description,
    "setMyShortDescription": BotApiDouble._set_my_short_description,
    "getMyDescription": BotApiDouble._get_my_description,
    "getMyShortDescription": BotApiDouble._get_my_short_description,
    "setChatMenuButton": BotApiDouble._set_chat_menu_button,
    "getChatMenuButton": BotApiDouble._get_chat_menu_button,
    "sendChatAction": BotApiDouble._send_chat_action,
    "getFile": BotApiDouble._get_file,
    "close": BotApiDouble._return_true,
    "logOut": BotApiDouble._return_true,
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
