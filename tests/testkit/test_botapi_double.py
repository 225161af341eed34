"""Self-test of the Bot API double against the real python-telegram-bot Application."""

from __future__ import annotations

import asyncio
import http.client
import json
import threading
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator

import pytest
from telegram import Update
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.ext import Application, ApplicationBuilder, ContextTypes, MessageHandler, filters

from testkit.botapi_double import BOT_ID, BOT_USERNAME, BotApiDouble


@pytest.fixture
def double() -> Iterator[BotApiDouble]:
    with BotApiDouble() as api:
        yield api


def build_app(api: BotApiDouble, token: str | None = None) -> Application:  # type: ignore[type-arg]
    return (
        ApplicationBuilder().token(token or api.token).base_url(api.base_url).base_file_url(api.base_file_url).build()
    )


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None and update.effective_message.text is not None
    await update.effective_message.reply_text(update.effective_message.text)


@pytest.fixture
async def app(double: BotApiDouble) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    application = build_app(double)
    async with application:
        yield application


async def test_get_me(double: BotApiDouble, app: Application) -> None:  # type: ignore[type-arg]
    me = await app.bot.get_me()
    assert me.id == BOT_ID
    assert me.username == BOT_USERNAME
    assert me.supports_inline_queries and me.can_join_groups
    assert double.calls_of("getMe")


async def test_echo_via_long_polling(double: BotApiDouble) -> None:
    application = build_app(double)
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=1)
        try:
            await double.async_wait_for("getUpdates")  # the client is long polling now
            update_id = double.push_update(double.make_text_message(42, "hola", language_code="es"))
            (call,) = await double.async_wait_for("sendMessage", timeout=5)
            assert call.params == {"chat_id": 42, "text": "hola"}
            assert double.message_id_of(call) == 2  # the user's message was 1 in this chat
        finally:
            await application.updater.stop()
            await application.stop()
    assert double.confirmed_offset == update_id + 1
    assert double.pending_updates() == []


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_rate_limit_raises_retry_after(double: BotApiDouble, app: Application) -> None:  # type: ignore[type-arg]
    double.rate_limit_next("sendMessage", retry_after=3)
    with pytest.raises(RetryAfter, match="Retry in 3 seconds"):
        await app.bot.send_message(chat_id=7, text="hi")
    message = await app.bot.send_message(chat_id=7, text="hi")  # only the next call was limited
    assert message.text == "hi" and message.from_user is not None and message.from_user.id == BOT_ID
    assert len(double.sent_messages()) == 2


async def test_validation_errors(double: BotApiDouble, app: Application) -> None:  # type: ignore[type-arg]
    with pytest.raises(BadRequest, match="too long"):
        await app.bot.send_message(chat_id=7, text="x" * 4097)
    # entities do not count towards the limit
    await app.bot.send_message(chat_id=7, text="<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match="(?i)end tag"):
        await app.bot.send_message(chat_id=7, text="<b>unclosed", parse_mode="HTML")
    with pytest.raises(BadRequest, match="(?i)unsupported start tag"):
        await app.bot.send_message(chat_id=7, text="<br>", parse_mode="HTML")
    with pytest.raises(BadRequest, match="(?i)bot_command_invalid"):
        await app.bot.set_my_commands([("Start", "Begin")])


async def test_faults(double: BotApiDouble, app: Application) -> None:  # type: ignore[type-arg]
    double.block_chat(5)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await app.bot.send_message(chat_id=5, text="hi")
    double.drop_next("sendMessage")
    with pytest.raises(NetworkError):
        await app.bot.send_message(chat_id=6, text="hi")
    assert double.calls_of("sendMessage")[-1].status == 0  # dropped
    double.fail_next("sendMessage", status=502, description="Bad Gateway")
    with pytest.raises(NetworkError):
        await app.bot.send_message(chat_id=6, text="hi")
    message = await app.bot.send_message(chat_id=6, text="hi")
    assert message.message_id == 1


async def test_an_error_page_and_calls_held_until_released(double: BotApiDouble, app: Application) -> None:  # type: ignore[type-arg]
    double.error_page_next("sendMessage")
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await app.bot.send_message(chat_id=6, text="hi")
    assert double.calls_of("sendMessage")[-1].status == 502
    double.hold_next("sendMessage", times=2)
    held = [asyncio.ensure_future(app.bot.send_message(chat_id=8, text=str(i))) for i in range(2)]
    while double.held < 2:
        await asyncio.sleep(0.01)
    assert not any(task.done() for task in held)
    double.release_held("drop")  # never carried out: the connections close without an answer
    for task in held:
        with pytest.raises(NetworkError):
            await task
    assert sorted(m["text"] for m in double.sent_messages()[-2:]) == ["0", "1"]
    assert not [c for c in double.calls_of("sendMessage") if c.ok]


async def test_updates_the_client_did_not_ask_for_and_an_older_servers_poll(
    double: BotApiDouble,
    app: Application,  # type: ignore[type-arg]
) -> None:
    await app.bot.get_updates(timeout=0, allowed_updates=["message"])
    double.push_update(double.make_business_message(31, "hello"))  # not asked for: never delivered
    forced = double.push_update(double.make_business_message(31, "hello"), ignore_allowed=True)
    assert [u.update_id for u in await app.bot.get_updates(timeout=0)] == [forced]
    poll = double.push_update(double.make_poll_message(32, "Which?"))
    with pytest.raises(TypeError, match="required argument"):
        await app.bot.get_updates(offset=poll, timeout=0)  # the library cannot read an older server's poll
    newer = double.push_update(double.make_poll_message(32, "Which?", older_server=False))
    updates = await app.bot.get_updates(offset=newer, timeout=0)
    assert [u.update_id for u in updates] == [newer]
    assert updates[0].message is not None and updates[0].message.poll is not None


async def test_callback_edit_and_redelivery(double: BotApiDouble, app: Application) -> None:  # type: ignore[type-arg]
    update = double.make_callback(10, "lang:es", message_id=3, language_code="es")
    query = update["callback_query"]
    assert query["from"] == {"id": 10, "is_bot": False, "first_name": "Test", "language_code": "es"}
    assert query["message"]["from"]["id"] == BOT_ID
    first = double.push_update(update)
    second = double.push_update(double.make_text_message(10, "/start"))
    assert second == first + 1

    updates = await app.bot.get_updates(timeout=0)
    assert [u.update_id for u in updates] == [first, second]
    assert updates[1].message is not None and updates[1].message.entities[0].type == "bot_command"
    # not confirmed yet: delivered again; confirming the first one leaves the second pending
    assert len(await app.bot.get_updates(offset=first + 1, timeout=0)) == 1
    assert double.confirmed_offset == first + 1
    assert [u["update_id"] for u in double.pending_updates()] == [second]

    assert await app.bot.answer_callback_query(query["id"], text="ok")
    with pytest.raises(BadRequest, match="(?i)query is too old"):
        await app.bot.answer_callback_query(query["id"])  # a query can be answered once
    edited = await app.bot.edit_message_text("<i>new</i>", chat_id=10, message_id=3, parse_mode="HTML")
    assert not isinstance(edited, bool) and edited.text == "new"
    with pytest.raises(BadRequest, match="(?i)not modified"):
        await app.bot.edit_message_text("<i>new</i>", chat_id=10, message_id=3, parse_mode="HTML")


async def test_wrong_token_is_rejected(double: BotApiDouble) -> None:
    application = build_app(double, token="1:WRONG")
    with pytest.raises(InvalidToken):
        await application.initialize()
    await application.shutdown()


def test_stop_releases_long_poll() -> None:
    api = BotApiDouble().start()
    result: list[object] = []

    def poll() -> None:
        request = urllib.request.Request(f"{api.base_url}{api.token}/getUpdates?timeout=30", method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                result.append((response.status, json.loads(response.read())))
        except (OSError, http.client.HTTPException) as err:
            result.append(err)

    thread = threading.Thread(target=poll)
    thread.start()
    api.wait_for("getUpdates")
    started = time.monotonic()
    api.stop()
    thread.join(5)
    assert not thread.is_alive() and time.monotonic() - started < 2  # released at once, not after its 30 s
    assert result == [(200, {"ok": True, "result": []})]  # the waiting poll gets its (empty) answer, not a cut-off
    leftovers = [t for t in threading.enumerate() if t.name == "BotApiDouble" or "process_request" in t.name]
    assert leftovers == []
