"""Telegram as it really delivers, end to end against the Bot API double: one busy group that Telegram
slows down, the backlog after downtime, the bot's own inline results coming back, invisible
characters, and two copies of the bot polling one token (the real ``kyr-bot run`` processes)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.core.flood import FloodGuard
from testkit.botapi_double import BOT_USERNAME, BotApiDouble, Call
from testkit.botapi_groups import via_this_bot
from testkit.harness import BotHarness, knowledge, text_of
from testkit.paths import ROOT

BUSY_GROUP = -1009000
SLOW_DOWN = "sending messages very fast"


def title(entry_id: str, lang: str = "en") -> str:
    return knowledge().entries[entry_id].text(lang).title


def to_chat(double: BotApiDouble, chat_id: int) -> list[Call]:
    return [c for c in double.calls_of("sendMessage") if c.params["chat_id"] == chat_id]


# ---------------------------------------------------------------------- 3. one busy chat
@pytest.mark.parametrize("max_rate", [30, 0], ids=["rate-limiter", "no-rate-limiter"])
async def test_a_busy_group_that_telegram_slows_down_does_not_stall_other_chats(double, tmp_path, max_rate):
    wait = 3
    double.rate_limit_next("sendMessage", retry_after=wait, chat_id=BUSY_GROUP)
    async with BotHarness(double, tmp_path, max_rate=max_rate) as bot:
        for _ in range(8):
            double.push_update(double.make_text_message(BUSY_GROUP, "/topics", chat_type="supergroup"))
        limited = (await bot.wait_for("sendMessage", predicate=lambda c: c.params["chat_id"] == BUSY_GROUP))[0]
        private = [701, 702, 703, 704, 705]
        for chat in private:
            double.push_update(double.make_text_message(chat, "what is an ice detainer", language_code="en"))
        # A button press and an inline query are answered at once too.
        double.push_update(double.make_callback(706, "t::en", 3))
        double.push_update(double.make_inline_query("detainer", user_id=707))
        for chat in private:
            await bot.wait_for("sendMessage", predicate=lambda c, chat=chat: c.params["chat_id"] == chat)
        await bot.wait_for("answerCallbackQuery")
        await bot.wait_for("answerInlineQuery")
        others = [c for c in double.calls if c.method != "getUpdates" and c.time > limited.time]
        others = [c for c in others if c.params.get("chat_id") != BUSY_GROUP]
        assert all(c.time < limited.time + wait for c in others), "other chats waited for the group's 429"
        # The group itself is answered after the wait, every message once, in order.
        await bot.wait_for("sendMessage", 9, timeout=15, predicate=lambda c: c.params["chat_id"] == BUSY_GROUP)
    group = to_chat(double, BUSY_GROUP)
    assert [c.status for c in group] == [429] + [200] * 8
    assert group[1].time - limited.time >= wait
    assert all(text_of(c) == "Choose a topic:" for c in group)


# ---------------------------------------------------------------------- 5. the backlog after downtime
async def test_the_backlog_written_during_downtime_is_not_a_flood(double, tmp_path):
    questions = ["what is an ice detainer", "what is 287g", "how do i reach the aclu", "what is a judicial warrant"]
    now = int(time.time())
    for i in range(10):  # one message every two minutes while the bot was down
        sent = now - (10 - i) * 120
        double.push_update(double.make_text_message(801, questions[i % 4], language_code="en", date=sent))
    burst = now - 60
    for i in range(12):  # a real burst, written within two seconds a minute ago
        text = questions[i % 4] if i < 11 else "what do i do if ice is at my door"
        double.push_update(double.make_text_message(802, text, language_code="en", date=burst + i // 6))
    async with BotHarness(double, tmp_path, flood=FloodGuard()) as bot:
        await bot.wait_for("sendMessage", 10, predicate=lambda c: c.params["chat_id"] == 801)
        await bot.wait_for("sendMessage", 10, predicate=lambda c: c.params["chat_id"] == 802)
        await bot.idle(0.5)
    backlog = [text_of(c) for c in to_chat(double, 801)]
    assert len(backlog) == 10 and not [t for t in backlog if SLOW_DOWN in t]
    burst_replies = [text_of(c) for c in to_chat(double, 802)]
    assert len(burst_replies) == 10 and SLOW_DOWN in burst_replies[-2]
    assert title("ice-at-door") in burst_replies[-1], "the newest message of the burst was dropped"


# ---------------------------------------------------------------------- 6. the bot's own inline results
async def test_the_bots_own_inline_results_are_not_answered(double, tmp_path):
    answer_text = "What is an ICE detainer?\n\nAn ICE detainer, also called an immigration hold…"
    async with BotHarness(double, tmp_path) as bot:
        double.push_update(via_this_bot(double, 901, answer_text))
        double.push_update(via_this_bot(double, 901, "/start detainer-basics_en"))
        group_reply = double.make_text_message(-1009010, "/topics", chat_type="supergroup")
        first = await bot.exchange(group_reply)
        double.push_update(
            via_this_bot(double, -1009010, answer_text, chat_type="supergroup", reply_to_message=first.result)
        )
        edited = double.make_edited_message(901, answer_text)
        edited["edited_message"]["via_bot"] = double.bot_user
        double.push_update(edited)
        # Another bot's inline result is a message like any other.
        other = double.make_text_message(902, "what is an ice detainer", via_bot={**double.bot_user, "id": 4321})
        assert title("detainer-basics") in text_of(await bot.exchange(other))
        await bot.idle()
    assert not to_chat(double, 901)
    assert len(to_chat(double, -1009010)) == 1


# ---------------------------------------------------------------------- 7. invisible characters
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("¿qué es una reten\u200dción?", "detainer-basics"),
        ("¿qué es una reten\u200bción?", "detainer-basics"),
        ("¿qué es una re\u00adten\u2060ción?", "detainer-basics"),
        ("\ufeffwhat is a judi\u200ccial warrant", "judicial-warrant"),
        ("/start\u200b", "Know your rights"),
        ("/start\ufeff", "Know your rights"),
        ("/help\u200d", "/topics"),
        (f"/temas@{BOT_USERNAME}\u2060", "Escoja un tema"),
        ("\u200b/topics", "Choose a topic"),
        ("/start\u200b 287g-basics_en", "287(g)"),
    ],
)
async def test_invisible_characters_do_not_change_the_answer(double, tmp_path, text, expected):
    async with BotHarness(double, tmp_path) as bot:
        reply = text_of(await bot.say(1001, text, language_code="en"))
    if expected in knowledge().entries:  # an answer, in the question's language
        assert title(expected, "es") in reply or title(expected, "en") in reply
    else:
        assert expected in reply
    assert "don't know that command" not in reply


# ---------------------------------------------------------------------- 9. two copies, one token
def start_copy(double: BotApiDouble, data_dir: Path, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": double.token,
        "TELEGRAM_API_URL": double.base_url,
        "KYR_DATA_DIR": str(data_dir),
        "KYR_MAX_RATE": "0",
        "KYR_CONFLICT_GRACE": "2",
    }
    with log.open("ab") as err:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err
        )


def test_the_copy_started_last_gives_way_to_the_one_serving(double, tmp_path):
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    asked: list[int] = []

    def ask(chat: int) -> None:
        double.push_update(double.make_text_message(chat, "what is an ice detainer", language_code="en"))
        asked.append(chat)

    first = start_copy(double, tmp_path / "a", first_log)
    second = None
    try:
        double.wait_for("getUpdates", timeout=20)
        ask(1101)
        double.wait_for("sendMessage", predicate=lambda c: c.params["chat_id"] == 1101, timeout=10)
        time.sleep(2.5)  # the first copy has been polling successfully for longer than the grace
        second = start_copy(double, tmp_path / "b", second_log)
        for chat in range(1102, 1106):
            ask(chat)
            time.sleep(0.4)
        status = second.wait(timeout=15)
        assert status == 4, second_log.read_text()
        ask(1106)
        for chat in asked:
            double.wait_for("sendMessage", predicate=lambda c, chat=chat: c.params["chat_id"] == chat, timeout=10)
        assert first.poll() is None, "the copy that was serving stopped"
        double.wait_idle(0.5)
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=15)
    replies = [c.params["chat_id"] for c in double.calls_of("sendMessage") if c.ok]
    assert sorted(replies) == sorted(asked), "a question was answered twice or not at all"
    assert first.returncode == 0
    for log in (first_log, second_log):
        lines = [line for line in log.read_text().splitlines() if "another copy of this bot" in line.lower()]
        assert len(lines) <= 1 and "Traceback" not in log.read_text(), log.read_text()
    assert "started last" in second_log.read_text()
    assert "keeps serving" in first_log.read_text()
