"""A small, in-process double of the Telegram Bot API for tests.

The double is a real HTTP server bound to ``127.0.0.1`` on an ephemeral port.  A real
python-telegram-bot ``Application`` is pointed at it via ``base_url`` (see :attr:`BotApiDouble.base_url`),
so requests arrive exactly as the library sends them (``POST /bot<TOKEN>/<method>``, form-urlencoded or
multipart with nested values JSON-encoded; JSON bodies are accepted too).

It implements the handful of methods the bot uses with Telegram's validation rules and error texts,
long polling with offset confirmation, call recording with waiting helpers, update builders and fault
injection (5xx, 429, 403 for blocked chats, dropped connections, delays, a proxy's HTML error page,
calls held until the test lets them go).  Only the standard library is used.

The package's rooms: :mod:`.double` (the double's state, lifecycle, recorded calls and updates), and the
parts it is made of: :mod:`.serving` (HTTP handling, dispatch), :mod:`.messages` and :mod:`.methods` (the
Bot API methods), :mod:`.builders` (updates as Telegram sends them), :mod:`.faults` (fault injection),
:mod:`.wire` (calls, errors, request bodies, the server), :mod:`.text` (entities, HTML) and
:mod:`.limits` (Telegram's limits).
"""

from __future__ import annotations

from testkit.botapi_double.double import BotApiDouble
from testkit.botapi_double.limits import BOT_FIRST_NAME, BOT_ID, BOT_USERNAME, DEFAULT_TOKEN, JSONDict
from testkit.botapi_double.text import html_to_plain
from testkit.botapi_double.wire import Call, UploadedFile

__all__ = [
    "BOT_FIRST_NAME",
    "BOT_ID",
    "BOT_USERNAME",
    "DEFAULT_TOKEN",
    "BotApiDouble",
    "Call",
    "JSONDict",
    "UploadedFile",
    "html_to_plain",
]
