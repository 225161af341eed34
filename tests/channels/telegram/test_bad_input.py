"""Bad input, end to end: the real python-telegram-bot Application (through BotHarness, or the real
``kyr-bot run`` process) against the Bot API double. Every odd update gets a clear, kind reply or none,
never a crash or a silent drop."""

from __future__ import annotations

import copy
import logging
import time

import pytest

from bot.core.callbacks import parse_start_payload
from testkit.botapi_double import BOT_USERNAME, Call
from testkit.harness import BotHarness, assert_all_calls_ok, buttons_of, knowledge, replies_to, text_of


def unexpected_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Warnings and errors logged, apart from the start-up note that group privacy mode is on (the
    double's getMe reports BotFather's default)."""
    return [r for r in caplog.records if r.levelno >= logging.WARNING and "privacy mode" not in r.getMessage()]


def is_stale_notice(call: Call) -> bool:
    text = call.params.get("text", "")
    return "out of date" in text or "ya no sirve" in text


def is_kind_reply(call: Call) -> bool:
    """A real reply: some words and a way on (buttons), never an error."""
    text = text_of(call)
    return len(text.strip()) >= 10 and bool(buttons_of(call)) and "error" not in text.lower()


# ---------------------------------------------------------------------- 2. bad input
BAD_TEXTS = [
    " ",
    "   \t\n  ",
    "\u200b\u200f\u202e",
    "a" * 4096,
    ("what is an ice detainer " * 200)[:4096],
    "what\x00 is\x01 an\x07 ice\x1b detainer\x7f",
    "\x00\x00\x00",
    "ما هو احتجاز الهجرة؟",
    "מה זה צו מעצר?",
    "\u202ewhat is an ice detainer\u202c",
    "\u2067\u202bque es un detainer\u2069",
    "😀😀😀🙏🏽🇺🇸",
    "👨‍👩‍👧‍👦",
    "<b>detainer</b>",
    "&amp; &lt; &#0; &bogus;",
    "*bold* _it_ `code` ```block``` [link](http://x)",
    "</i><a href=x>click</a>",
    "<script>alert(1)</script><tg-spoiler>",
    "w" * 3000,
    "Что такое detainer 拘留 ICE?",
    "ICE 移民 задержание detención",
    "\ud7ff\ue000\uffff",
]
START_PAYLOADS = [
    "no-such-entry_en",
    "detainer-basics_xx",
    "x" * 65,
    "a" * 300,
    "hello world",
    "detainer-basics_en extra",
    "détainer_es",
    "拘留_zh",
    "_",
    "-_-",
    "%00",
]
FORGED_CALLBACKS = [
    "",
    ":",
    "::",
    ":::",
    "a::",
    "a:detainer-basics:",
    "a:detainer-basics:en:extra",
    "a:../../etc/passwd:en",
    "x:no-such:es",
    "t:nope:en",
    "e:detainer-basics:en",
    "L::",
    "L::zz",
    "é:ñ:€",
    "🙂" * 16,
    "Z" * 64,
    "q:detainer-basics:en",
]


async def test_bad_text_gets_a_kind_reply_within_limits(double, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    chat = 3000
    async with BotHarness(double, tmp_path) as bot:
        for i, text in enumerate(BAD_TEXTS):
            reply = await bot.exchange(double.make_text_message(chat + i, text, language_code="en"))
            assert reply.params["chat_id"] == chat + i
            assert is_kind_reply(reply), (text[:40], text_of(reply)[:200])
            raw = reply.params["text"]
            assert "<a href=x>" not in raw and "<script>" not in raw and "*bold*" not in raw
        # Empty text: Telegram never sends one, but if it did it is not a crash.
        reply = await bot.exchange(double.make_text_message(chat + 99, "", language_code="es"))
        assert is_kind_reply(reply)
        await bot.idle(0.1)
        # Each message got exactly one reply.
        for i in range(len(BAD_TEXTS)):
            assert len(replies_to(double, chat + i)) == 1, BAD_TEXTS[i][:40]
        # A question in a sea of noise is still understood.
        reply = replies_to(double, chat + BAD_TEXTS.index("\u202ewhat is an ice detainer\u202c"))[0]
        assert knowledge().entries["detainer-basics"].text("en").title in text_of(reply)
    assert_all_calls_ok(double)
    assert not unexpected_warnings(caplog), caplog.text


async def test_start_payloads_callbacks_and_inline_queries(double, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    async with BotHarness(double, tmp_path) as bot:
        for i, payload in enumerate(START_PAYLOADS):
            reply = await bot.say(3100 + i, f"/start {payload}", language_code="en")
            # Only a link shaped like ours (<entry>_<lang>) that opens nothing gets the note; any other
            # payload (a flyer's tracking code) is a plain welcome.
            ours = parse_start_payload(payload) is not None
            assert ("does not open an answer" in text_of(reply)) == ours, payload
            assert is_kind_reply(reply)
        good = await bot.say(3199, "/start detainer-basics_es", language_code="en")
        assert knowledge().entries["detainer-basics"].text("es").title in text_of(good)

        menu = await bot.say(3200, "/topics", language_code="en")
        menu_id = bot.message_id(menu)
        sent_before = len(double.calls_of("sendMessage"))
        for data in FORGED_CALLBACKS:
            answered = await bot.exchange(double.make_callback(3200, data, menu_id), "answerCallbackQuery")
            assert is_stale_notice(answered), data
        # Stale: a button on a message the bot never sent / that is long gone, and an old language.
        for data in ("a:retired-entry:en", "x:detainer-basics:fr", "e:arrested-by-ice:de"):
            answered = await bot.exchange(double.make_callback(3201, data, 9999), "answerCallbackQuery")
            assert is_stale_notice(answered), data
        # A press without data (a game button) and one on an inline message (no message to edit).
        no_data = double.make_callback(3202, "x", 1)
        del no_data["callback_query"]["data"]
        no_data["callback_query"]["game_short_name"] = "nope"
        answered = await bot.exchange(no_data, "answerCallbackQuery")
        assert is_stale_notice(answered)
        inline_msg = double.make_callback(3203, "x:detainer-basics:es", 1)
        del inline_msg["callback_query"]["message"]
        inline_msg["callback_query"]["inline_message_id"] = "AAAA-inline"
        await bot.exchange(inline_msg, "answerCallbackQuery")
        await bot.idle(0.1)
        assert len(double.calls_of("sendMessage")) == sent_before  # stale presses send nothing
        # The same chat still works.
        assert "Sources:" in text_of(await bot.say(3200, "what is an ice detainer"))

        queries = ["", "d", "x" * 300, "what is an ice detainer " * 12, "🙂🙏🏽", "\x00\u202e", "<b>&"]
        for i, query in enumerate(queries):
            answer = await bot.exchange(double.make_inline_query(query, user_id=3300 + i), "answerInlineQuery")
            assert len(answer.params["results"]) <= 50
        empty = double.calls_of("answerInlineQuery")[0]
        assert empty.params["results"], "an empty query lists the main topics"
    assert_all_calls_ok(double)
    assert not unexpected_warnings(caplog), caplog.text


async def test_update_kinds_the_bot_does_not_handle_are_ignored(double, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    now = int(time.time())
    user = double.make_user(3400, "Someone")
    bot_user = double.bot_user
    private = {"id": 3400, "type": "private", "first_name": "Someone"}
    group = {"id": -1003401, "type": "supergroup", "title": "Group"}
    channel = {"id": -1003402, "type": "channel", "title": "Channel"}
    member = {"status": "member", "user": bot_user}
    kicked = {"status": "kicked", "user": bot_user, "until_date": 0}
    updates = [
        {
            "my_chat_member": {
                "chat": private,
                "from": user,
                "date": now,
                "old_chat_member": member,
                "new_chat_member": kicked,
            }
        },
        {
            "my_chat_member": {
                "chat": group,
                "from": user,
                "date": now,
                "old_chat_member": {"status": "left", "user": bot_user},
                "new_chat_member": member,
            }
        },
        {
            "chat_member": {
                "chat": group,
                "from": user,
                "date": now,
                "old_chat_member": {"status": "left", "user": user},
                "new_chat_member": {"status": "member", "user": user},
            }
        },
        {"chat_join_request": {"chat": group, "from": user, "user_chat_id": 3400, "date": now, "bio": "hi"}},
        {
            "poll": {
                "id": "p1",
                "question": "what is a detainer?",
                "total_voter_count": 1,
                "is_closed": False,
                "is_anonymous": False,
                "type": "regular",
                "allows_multiple_answers": False,
                "allows_revoting": False,
                "members_only": False,
                "options": [
                    {"text": "a", "voter_count": 1, "persistent_id": "o1"},
                    {"text": "b", "voter_count": 0, "persistent_id": "o2"},
                ],
            }
        },
        {"poll_answer": {"poll_id": "p1", "user": user, "option_ids": [0], "option_persistent_ids": ["o1"]}},
        {"channel_post": {"message_id": 1, "chat": channel, "date": now, "text": "what is a detainer"}},
        {"channel_post": {"message_id": 2, "chat": channel, "date": now, "text": "/help"}},
        {
            "channel_post": {
                "message_id": 4,
                "chat": channel,
                "date": now,
                "text": f"/help@{BOT_USERNAME}",
                "entities": [{"type": "bot_command", "offset": 0, "length": 18}],
            }
        },
        {
            "channel_post": {
                "message_id": 3,
                "chat": channel,
                "date": now,
                "photo": [{"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1}],
            }
        },
        {
            "edited_channel_post": {
                "message_id": 1,
                "chat": channel,
                "date": now,
                "edit_date": now,
                "text": "what is 287g",
            }
        },
        {
            "message_reaction": {
                "chat": private,
                "message_id": 1,
                "user": user,
                "date": now,
                "old_reaction": [],
                "new_reaction": [{"type": "emoji", "emoji": "👍"}],
            }
        },
        {"message": {"message_id": 5, "from": user, "chat": group, "date": now, "new_chat_members": [bot_user, user]}},
        {"message": {"message_id": 6, "from": user, "chat": group, "date": now, "left_chat_member": user}},
        {
            "message": {
                "message_id": 7,
                "from": user,
                "chat": private,
                "date": now,
                "pinned_message": {"message_id": 1, "chat": private, "date": 0},
            }
        },
        {"message": {"message_id": 8, "from": user, "chat": group, "date": now, "text": "what is a detainer"}},
    ]
    async with BotHarness(double, tmp_path) as bot:
        for update in updates:
            double.push_update(copy.deepcopy(update))
        # The bot is still answering afterwards.
        double.push_update(double.make_text_message(3499, "what is an ice detainer"))
        reply = (await bot.wait_for("sendMessage", predicate=lambda c: c.params["chat_id"] == 3499))[0]
        assert "Sources:" in text_of(reply)
        await bot.idle()
    sent = double.calls_of("sendMessage")
    # Only the bot's own arrival in the group is answered (a short how-to), and the question.
    assert sorted(c.params["chat_id"] for c in sent) == [-1003401, 3499], [
        (c.params["chat_id"], text_of(c)[:60]) for c in sent
    ]
    assert not double.calls_of("editMessageText")
    assert_all_calls_ok(double)
    assert not unexpected_warnings(caplog), caplog.text


async def test_the_same_update_twice_is_answered_once(double, tmp_path):
    async with BotHarness(double, tmp_path) as bot:
        await bot.say(3500, "/start")
    # Delivered twice, e.g. re-sent to a restarted bot: the same update_id in one batch.
    update = double.make_text_message(3501, "what is an ice detainer")
    update["update_id"] = 777_000
    double.push_update(copy.deepcopy(update))
    double.push_update(copy.deepcopy(update))
    command = double.make_text_message(3501, "/topics")
    command["update_id"] = 777_001
    double.push_update(copy.deepcopy(command))
    double.push_update(copy.deepcopy(command))
    async with BotHarness(double, tmp_path) as bot:
        await bot.wait_for("sendMessage", 2, predicate=lambda c: c.params["chat_id"] == 3501)
        await bot.idle()
    replies = replies_to(double, 3501)
    assert len(replies) == 2, [text_of(c)[:60] for c in replies]
    assert "Sources:" in text_of(replies[0]) and "Choose a topic" in text_of(replies[1])
