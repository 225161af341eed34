"""The Bot API double itself: its state, lifecycle, recorded calls and updates; its methods come from
the mixins beside it."""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from collections.abc import Callable
from types import TracebackType
from typing import Any, Literal

from testkit.botapi_double.builders import UpdateBuilders
from testkit.botapi_double.faults import FaultInjection
from testkit.botapi_double.limits import BOT_FIRST_NAME, BOT_ID, BOT_USERNAME, DEFAULT_TOKEN, JSONDict
from testkit.botapi_double.messages import MessageMethods
from testkit.botapi_double.methods import ApiMethods
from testkit.botapi_double.serving import Serving
from testkit.botapi_double.wire import Call, _Fault, _Handler, _Server, _shutdown_socket


class BotApiDouble(UpdateBuilders, FaultInjection, Serving, MessageMethods, ApiMethods):
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
