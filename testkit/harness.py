"""Runs the real python-telegram-bot Application of kyr-bot against the Bot API double."""

from __future__ import annotations

import fcntl
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.channels.telegram import build_application
from bot.core.consent import ConsentFlow
from bot.core.conversation import Conversation
from bot.core.flood import FloodGuard
from bot.core.usage import UsageLog
from bot.knowledge import KnowledgeBase, load_knowledge
from bot.matching.matcher import Matcher
from bot.runtime.config import Config
from bot.runtime.storage import SqliteStore
from testkit.botapi_double import BotApiDouble, Call, html_to_plain
from testkit.paths import ROOT

MODEL_CACHE = ROOT / ".cache" / "test-model"
_KB: KnowledgeBase | None = None
_MATCHER: Matcher | None = None


def knowledge() -> KnowledgeBase:
    global _KB
    if _KB is None:
        _KB = load_knowledge()
    return _KB


def shared_matcher() -> Matcher:
    """One matcher for every bot a test starts: it depends only on the knowledge base, and building it
    for each start would make the tests slow. Its fitted model is cached in ``.cache/test-model`` (keyed
    by the content's hash, like every model cache), under a lock, so parallel test workers fit it once."""
    global _MATCHER
    if _MATCHER is None:
        MODEL_CACHE.mkdir(parents=True, exist_ok=True)
        with (MODEL_CACHE / ".lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            _MATCHER = Matcher(knowledge(), cache_dir=MODEL_CACHE)
    return _MATCHER


class BotHarness:
    """``async with BotHarness(double, tmp_path) as bot:`` starts the bot's own long polling, as ``kyr-bot
    run`` does (the state file keeps language choices, picture ids and handled updates' ids); leaving
    stops it cleanly: what was fetched is answered, then confirmed."""

    def __init__(
        self,
        double: BotApiDouble,
        data_dir: Path,
        max_rate: float = 0,
        flood: FloodGuard | None = None,
        poll_timeout: int = 1,
        usage: UsageLog | None = None,
        consent: ConsentFlow | None = None,
        **app_options: Any,
    ) -> None:
        self.double = double
        self.usage = usage  # what the conversation counts (nothing when None)
        self.consent = consent  # sending questions for review (never offered when None)
        # The only copy polling the double: it holds its ground at once (conflict grace 0), without the
        # second of listening a copy that may have to give way spends first.
        self.settings = Config(
            token=double.token, api_url=double.base_url, data_dir=data_dir, max_rate=max_rate, conflict_grace=0
        )
        self.app_options = app_options
        self.flood = flood or FloodGuard(burst=1000)
        self.poll_timeout = poll_timeout
        self.store: SqliteStore | None = None
        self.app = None

    async def __aenter__(self) -> BotHarness:
        self.store = SqliteStore(self.settings.data_dir)
        conversation = Conversation(
            knowledge(), shared_matcher(), self.store, flood=self.flood, usage=self.usage, consent=self.consent
        )
        self.telegram = build_application(
            self.settings,
            conversation,
            files=self.store,
            handled=self.store,
            long_poll_timeout=self.poll_timeout,
            **self.app_options,
        )
        self.app = self.telegram.app
        await self.app.initialize()
        if self.app.post_init:
            await self.app.post_init(self.app)
        await self.app.start()
        self.telegram.poller.start()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()

    async def stop(self) -> None:
        if self.app is None:
            return
        await self.telegram.poller.stop()
        if self.app.running:
            await self.app.stop()
        await self.telegram.poller.confirm()
        await self.app.shutdown()
        if self.store is not None:
            self.store.close()
        self.app = None

    # -------------------------------------------------------------- driving
    async def wait_for(
        self, method: str, count: int = 1, timeout: float = 10, predicate: Callable[[Call], bool] | None = None
    ) -> list[Call]:
        return await self.double.async_wait_for(method, count, timeout, predicate)

    async def idle(self, quiet: float = 0.3) -> None:
        await self.double.async_wait_idle(quiet, 15)

    async def exchange(self, update: dict, method: str = "sendMessage", timeout: float = 10) -> Call:
        """Push an update and return the first ``method`` call it causes."""
        before = len(self.double.calls_of(method))
        self.double.push_update(update)
        calls = await self.wait_for(method, before + 1, timeout)
        return calls[before]

    async def say(self, chat_id: int, text: str, **kw: Any) -> Call:
        return await self.exchange(self.double.make_text_message(chat_id, text, **kw))

    async def press(self, chat_id: int, message: Call | int, data: str, method: str, **kw: Any) -> Call:
        message_id = message if isinstance(message, int) else self.message_id(message)
        return await self.exchange(self.double.make_callback(chat_id, data, message_id, **kw), method)

    def message_id(self, call: Call) -> int:
        """The message id the double gave the message a sendMessage call created."""
        return self.double.message_id_of(call)


def text_of(call: Call) -> str:
    """What the user reads: the message's text with HTML markup removed."""
    return html_to_plain(call.params["text"])


def buttons_of(call: Call) -> list[dict]:
    markup = call.params.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


def button(call: Call, label_part: str) -> dict:
    for b in buttons_of(call):
        if label_part.lower() in b["text"].lower():
            return b
    raise AssertionError(f"no button with {label_part!r} in {[b['text'] for b in buttons_of(call)]}")


def assert_all_calls_ok(double: BotApiDouble) -> None:
    """Every Bot API call the bot made was accepted (the double answers 400 for anything Telegram would
    refuse: over-long or unparsable text, over-long callback data, stale query ids, ...)."""
    # (A getUpdates long poll ended by the harness's own stop gets 409: that is not the bot's doing.)
    failed = [c for c in double.calls if c.answered and not c.ok and c.method != "getUpdates"]
    assert not failed, [(c, c.status, c.response) for c in failed]
    for method in ("sendMessage", "editMessageText"):
        for call in double.calls_of(method):
            assert 1 <= len(html_to_plain(call.params["text"])) <= 4096
            for b in buttons_of(call):
                if "callback_data" in b:
                    assert 1 <= len(b["callback_data"].encode()) <= 64


def replies_to(double: BotApiDouble, chat_id: int) -> list[Call]:
    """Every sendMessage call to ``chat_id`` (every attempt, answered or not), in order."""
    return [c for c in double.calls_of("sendMessage") if c.params.get("chat_id") == chat_id]


def delivered(double: BotApiDouble, chat_id: int) -> list[Call]:
    """The messages ``chat_id`` received: the sendMessage calls Telegram carried out, even if the bot never
    heard back."""
    return [c for c in replies_to(double, chat_id) if c.ok]


DETAINER_QUESTION = "what is an ice detainer"  # a question every content version answers with detainer-basics


def ask(double: BotApiDouble, chat: int, text: str = DETAINER_QUESTION) -> int:
    """Push ``text`` from private chat ``chat`` (an English app) to the double; its update id."""
    return double.push_update(double.make_text_message(chat, text, language_code="en"))


async def answer_to(double: BotApiDouble, chat: int, timeout: float = 10) -> Call:
    """Wait for the first message ``chat`` receives."""
    calls = await double.async_wait_for(
        "sendMessage", 1, timeout, lambda c: c.params.get("chat_id") == chat and c.ok, answered=True
    )
    return calls[0]


def detainer_title() -> str:
    """The English title of the answer to :data:`DETAINER_QUESTION`."""
    return knowledge().entries["detainer-basics"].text("en").title
