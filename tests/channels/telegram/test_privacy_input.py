"""Privacy of the logs, bad input and flood protection, end to end: the real python-telegram-bot
Application (through BotHarness, or the real ``kyr-bot run`` process) against the Bot API double."""

from __future__ import annotations

import copy
import logging
import os
import signal
import subprocess
import sys
import time
from io import StringIO

import pytest

from bot.core.callbacks import parse_start_payload
from bot.core.flood import FloodGuard
from bot.runtime.logsafe import configure_logging
from testkit.botapi_double import BOT_USERNAME, BotApiDouble, Call, html_to_plain
from testkit.harness import BotHarness, buttons_of, knowledge, text_of
from testkit.paths import ROOT

# A token shaped like a real one, so a leak of either half is easy to spot.
TOKEN = "7351928460:AAHq3xZsecretPartOfTheTokenXYZ_987-abc"
TOKEN_ID, TOKEN_SECRET = TOKEN.split(":")
SLOW_DOWN = "sending messages very fast"


# ---------------------------------------------------------------------- helpers
def personal(update: dict, last_name: str) -> dict:
    """Give every user and private chat in an update a last name, like real Telegram profiles have."""

    def walk(node):
        if isinstance(node, dict):
            if "first_name" in node and not node.get("is_bot"):
                node["last_name"] = last_name
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(update)
    return update


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


def unexpected_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Warnings and errors logged, apart from the start-up note that group privacy mode is on (the
    double's getMe reports BotFather's default)."""
    return [r for r in caplog.records if r.levelno >= logging.WARNING and "privacy mode" not in r.getMessage()]


def replies_to(double: BotApiDouble, chat_id: int) -> list[Call]:
    return [c for c in double.calls_of("sendMessage") if c.params["chat_id"] == chat_id]


def is_stale_notice(call: Call) -> bool:
    text = call.params.get("text", "")
    return "out of date" in text or "ya no sirve" in text


def is_kind_reply(call: Call) -> bool:
    """A real reply: some words and a way on (buttons), never an error."""
    text = text_of(call)
    return len(text.strip()) >= 10 and bool(buttons_of(call)) and "error" not in text.lower()


# ---------------------------------------------------------------------- 1. privacy of the logs
async def test_debug_logs_hold_no_texts_names_or_token(tmp_path, monkeypatch, restore_logging):
    stream = StringIO()
    with BotApiDouble(token=TOKEN) as double:
        configure_logging(level=logging.DEBUG, secrets=[double.token], stream=stream)
        a = {"first_name": "Zyxwanda", "username": "secret_user_77"}
        b = {"first_name": "Xochiquetzalia", "username": "hidden_handle_99"}
        last_a, last_b = "Quorblethwaite", "Brummerstedtova"
        ua, ub = 5550101, 5550202
        secrets_used = [
            a["first_name"],
            a["username"],
            b["first_name"],
            b["username"],
            last_a,
            last_b,
            TOKEN,
            TOKEN_ID,
            TOKEN_SECRET,
        ]

        def said(chat, text, who, last, **kw):
            if len(text) > 12:  # what someone wrote (not a bare command name)
                secrets_used.append(text)
            return personal(double.make_text_message(chat, text, **who, **kw), last)

        async with BotHarness(double, tmp_path) as bot:
            front = bot.telegram.front
            real_match = front.conversation.matcher.match

            def exploding_match(text, *args, **kw):
                if "kablooie" in text.lower():
                    int(text)  # ValueError whose message holds what the user wrote
                return real_match(text, *args, **kw)

            monkeypatch.setattr(front.conversation.matcher, "match", exploding_match)

            start = await bot.exchange(said(ua, "/start frobnicate_Glimmerwing", a, last_a, language_code="en"))
            answer = await bot.exchange(said(ua, "what is an ice detainer Plumbagonian", a, last_a, language_code="en"))
            assert "Sources:" in text_of(answer)
            es = await bot.exchange(
                said(ub, "qué hago si la migra toca mi puerta Quokkaberrito", b, last_b, language_code="es")
            )
            assert "Revisado" in text_of(es)
            # Buttons: other language in place, a topic, a forged one.
            await bot.exchange(
                personal(double.make_callback(ua, "x:detainer-basics:es", bot.message_id(answer), **a), last_a),
                "editMessageText",
            )
            await bot.exchange(
                personal(double.make_callback(ua, "t::en", bot.message_id(start), **a), last_a), "editMessageText"
            )
            secrets_used.append("Grimblesnatch")
            forged = personal(double.make_callback(ua, "a:Grimblesnatch:en", 77, **a), last_a)
            await bot.exchange(forged, "answerCallbackQuery")
            # Inline query, /language and a language choice, /delete.
            secrets_used.append("detainer Marzipanic")
            inline = double.make_inline_query("detainer Marzipanic", user_id=ub, language_code="es")
            inline["inline_query"]["from"].update(b)
            await bot.exchange(personal(inline, last_b), "answerInlineQuery")
            menu = await bot.exchange(said(ub, "/language", b, last_b))
            await bot.exchange(
                personal(double.make_callback(ub, "L::es", bot.message_id(menu), **b), last_b), "editMessageText"
            )
            await bot.exchange(said(ub, "/delete", b, last_b))
            # A photo with a caption.
            secrets_used.append("Snorkelwimp caption")
            photo = personal(double.make_non_text(ua, "photo", caption="Snorkelwimp caption", **a), last_a)
            await bot.exchange(photo)
            # An exception inside a handler whose message holds the user's text.
            double.push_update(said(ua, "Kablooie Vexillumorph", a, last_a))
            # Telegram refuses a reply (400), then a chat that blocked the bot (403).
            await bot.idle()
            double.fail_next("sendMessage", status=400, description="Bad Request: message text is empty")
            await bot.exchange(said(ua, "how do i reach the aclu Drizzlefang", a, last_a))
            double.block_chat(ub)
            await bot.exchange(said(ub, "que es un detainer Wobbleknacker", b, last_b))
            # Telegram fails a poll with an error that repeats something (a traceback gets logged).
            double.fail_next("getUpdates", status=400, description="Bad Request: Zyxwanda secret_user_77 " + TOKEN)
            await bot.wait_for("getUpdates", predicate=lambda c: c.status == 400)
            after = await bot.exchange(said(ua, "what is 287g Thistlewhump", a, last_a))
            assert "287(g)" in text_of(after)
            await bot.idle()

    out = stream.getvalue()
    assert out.strip(), "nothing was logged"
    # python-telegram-bot's DEBUG records arrived, with their values dropped...
    assert "Calling Bot API endpoint `…` with parameters `…`" in out and "Processing update …" in out
    # ... and so did the faults and errors, without what caused them.
    assert "Error while handling an update: ValueError" in out
    assert "Telegram refused a reply" in out
    assert "blocked the bot" in out
    assert "Traceback (most recent call last)" in out and "BadRequest (message withheld)" in out
    leaks = [s for s in secrets_used if s.lower() in out.lower()]
    assert not leaks, f"logged: {leaks}"
    for word in ("Zyxwanda", "secret_user_77", "Plumbagonian", "Kablooie", "Vexillumorph", "Glimmerwing"):
        assert word.lower() not in out.lower()


def test_kyr_bot_run_never_prints_the_token(tmp_path):
    with BotApiDouble(token=TOKEN) as double:
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": double.base_url,
            "KYR_DATA_DIR": str(tmp_path),
            "KYR_MAX_RATE": "0",
        }
        env.pop("TELEGRAM_WEBHOOK_SECRET", None)
        err_path = tmp_path / "stderr.txt"
        with err_path.open("w") as err:
            proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env, stdout=err, stderr=err)
            try:
                double.wait_for("getUpdates", timeout=20)
                text = "what is an ice detainer Zyxwanda"
                double.push_update(double.make_text_message(4242001, text, username="secret_user_77"))
                reply = double.wait_for("sendMessage", timeout=10)[0]
                assert "Sources:" in text_of(reply)
                double.wait_idle(0.2)
            finally:
                proc.send_signal(signal.SIGINT)
                try:
                    code = proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    raise
    out = err_path.read_text()
    assert code == 0, out
    assert "Starting long polling" in out
    for secret in (TOKEN, TOKEN_ID, TOKEN_SECRET, "Zyxwanda", "secret_user_77"):
        assert secret not in out


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


# ---------------------------------------------------------------------- 3. flood protection
async def test_a_flooding_user_gets_one_slow_down_note_others_are_unaffected(double, tmp_path):
    guard = FloodGuard()
    flooder, other, mixed = 3600, 3601, 3602
    questions = ["what is an ice detainer", "what is 287g", "how do i reach the aclu", "what is a judicial warrant"]
    for i in range(40):
        double.push_update(double.make_text_message(flooder, f"{questions[i % 4]} {i}", language_code="en"))
        if i % 8 == 0:
            double.push_update(double.make_text_message(other, questions[i // 8 % 4], language_code="en"))
    # Commands and stickers count too.
    for i in range(20):
        if i % 3 == 0:
            double.push_update(double.make_non_text(mixed, "sticker"))
        elif i % 3 == 1:
            double.push_update(double.make_text_message(mixed, "/start"))
        else:
            double.push_update(double.make_text_message(mixed, "what is an ice detainer"))
    async with BotHarness(double, tmp_path, flood=guard) as bot:
        await bot.wait_for("sendMessage", 5, predicate=lambda c: c.params["chat_id"] == other)
        for chat in (flooder, mixed):  # the newest message of each burst is answered once it ends
            await bot.wait_for(
                "sendMessage", guard.burst + 2, predicate=lambda c, chat=chat: c.params["chat_id"] == chat
            )
        await bot.idle(0.5)
    for chat, newest in ((flooder, "Judicial warrant"), (mixed, "Know your rights")):
        texts = [text_of(c) for c in replies_to(double, chat)]
        notes = [t for t in texts if SLOW_DOWN in t]
        assert len(notes) == 1, (chat, len(texts))
        assert len(texts) == guard.burst + 2, (chat, len(texts))
        assert SLOW_DOWN in texts[-2] and len(notes[0]) < 200  # the note comes after the burst, and is short
        assert newest.lower() in texts[-1].lower()  # the newest message is never dropped
    others = [text_of(c) for c in replies_to(double, other)]
    assert len(others) == 5 and not [t for t in others if SLOW_DOWN in t]
    assert all("Sources:" in t for t in others)
    assert_all_calls_ok(double)


async def test_the_message_that_brings_the_slow_down_note_is_answered_after_it(double, tmp_path):
    guard = FloodGuard()
    chat = 3603
    for i in range(guard.burst):
        double.push_update(double.make_text_message(chat, f"hello {i}", language_code="es"))
    # The one past the burst brings the note, written in English by someone whose app speaks Spanish.
    double.push_update(double.make_text_message(chat, "what is a judicial warrant", language_code="es"))
    async with BotHarness(double, tmp_path, flood=guard) as bot:
        await bot.wait_for("sendMessage", guard.burst + 2, predicate=lambda c: c.params["chat_id"] == chat)
        await bot.idle(0.5)
    texts = [text_of(c) for c in replies_to(double, chat)]
    assert len(texts) == guard.burst + 2
    assert SLOW_DOWN in texts[-2]  # the note, in the language of the message that brought it
    assert "judicial warrant" in texts[-1].lower()  # and that message's answer once the sender paused
    assert_all_calls_ok(double)


def test_flood_guard_forgets_people_who_went_quiet():
    now = [0.0]
    guard = FloodGuard(clock=lambda: now[0])
    for uid in range(1, 300):
        guard.check(uid)
    now[0] = 60.0  # everyone has been quiet for a minute
    for _ in range(250):
        guard.check(999_999)
    assert set(guard._recent) == {999_999}
