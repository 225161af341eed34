"""Privacy of the logs, end to end: at every log level, through the real python-telegram-bot Application
(BotHarness) and the real ``kyr-bot run`` process against the Bot API double, no message text, name,
username or token is ever written."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from io import StringIO

from bot.runtime.logsafe import configure_logging
from testkit.botapi_double import BotApiDouble
from testkit.harness import BotHarness, text_of
from testkit.paths import ROOT

# A token shaped like a real one, so a leak of either half is easy to spot.
TOKEN = "7351928460:AAHq3xZsecretPartOfTheTokenXYZ_987-abc"
TOKEN_ID, TOKEN_SECRET = TOKEN.split(":")


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
