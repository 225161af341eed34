"""Telegram as it really delivers, end to end against the Bot API double: one busy group that Telegram
slows down, the backlog after downtime, the bot's own inline results coming back, invisible
characters, and two copies of the bot (the real ``kyr-bot run`` processes): on one data folder, the
second cannot start; polling one token from two machines, the one started later gives way."""

from __future__ import annotations

import itertools
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator

import pytest

from bot.core.flood import FloodGuard
from bot.runtime import exitcodes
from bot.runtime.config import Config
from testkit.botapi_double import BOT_USERNAME, BotApiDouble
from testkit.botapi_groups import via_this_bot
from testkit.harness import BotHarness, knowledge, replies_to, text_of
from testkit.paths import ROOT
from testkit.process import BotProcess, bot_env, running_bot

BUSY_GROUP = -1009000
DEFAULT_GRACE = str(Config.conflict_grace)  # KYR_CONFLICT_GRACE unset
SLOW_DOWN = "sending messages very fast"


def title(entry_id: str, lang: str = "en") -> str:
    return knowledge().entries[entry_id].text(lang).title


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
    group = replies_to(double, BUSY_GROUP)
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
    backlog = [text_of(c) for c in replies_to(double, 801)]
    assert len(backlog) == 10 and not [t for t in backlog if SLOW_DOWN in t]
    burst_replies = [text_of(c) for c in replies_to(double, 802)]
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
    assert not replies_to(double, 901)
    assert len(replies_to(double, -1009010)) == 1


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
def answered_once(double: BotApiDouble, chats: list[int]) -> dict[int, int]:
    """How many messages each of ``chats`` received."""
    counts = Counter(c.params["chat_id"] for c in double.calls_of("sendMessage") if c.ok)
    return {chat: counts[chat] for chat in chats}


def ask_one(double: BotApiDouble, chats: Iterator[int], asked: list[int]) -> None:
    """Ask a question from a new chat and wait until it is answered (by whichever copy)."""
    chat = next(chats)
    double.push_update(double.make_text_message(chat, "what is an ice detainer", language_code="en"))
    asked.append(chat)
    double.wait_for("sendMessage", predicate=lambda c: c.params["chat_id"] == chat, timeout=20)


def ask_until_exit(double: BotApiDouble, copy: BotProcess, chats: Iterator[int], asked: list[int]) -> int:
    """Ask one question after another, each once the last was answered, until ``copy`` exits (its status)."""
    while copy.proc.poll() is None:
        ask_one(double, chats, asked)
    return copy.proc.returncode


def test_a_second_copy_on_the_same_data_folder_cannot_start(double, tmp_path):
    data = tmp_path / "data"
    with running_bot(double, data) as first:
        double.wait_for("getUpdates", timeout=20)
        getme_before = len(double.calls_of("getMe"))  # the first copy's (the token check, then the library's)
        second = subprocess.run(
            [sys.executable, "-m", "bot", "run"], cwd=ROOT, env=bot_env(double, data), capture_output=True, text=True
        )
        assert second.returncode == exitcodes.ANOTHER_COPY, second.stderr
        said = second.stderr.strip().splitlines()
        assert len(said) == 1 and "another copy of the bot" in said[0] and f"process {first.proc.pid}" in said[0]
        assert len(double.calls_of("getMe")) == getme_before, "the second copy talked to Telegram"
        double.push_update(double.make_text_message(1201, "what is an ice detainer", language_code="en"))
        double.wait_for("sendMessage", predicate=lambda c: c.params["chat_id"] == 1201, timeout=20)
        assert first.stop() == exitcodes.OK
    assert "another copy" not in first.text().lower()


def test_the_copy_started_last_gives_way_to_the_one_serving(double, tmp_path):
    asked: list[int] = []
    chats = itertools.count(1101)
    # The first copy holds its ground as soon as it has polled (grace 0); the second, on another machine
    # (its own data folder), meets the first within the default grace (30 s) and gives way.
    with running_bot(double, tmp_path / "a", KYR_CONFLICT_GRACE="0") as first:
        double.wait_for("getUpdates", timeout=20)
        with running_bot(double, tmp_path / "b", KYR_CONFLICT_GRACE=DEFAULT_GRACE) as second:
            assert ask_until_exit(double, second, chats, asked) == exitcodes.ANOTHER_COPY, second.text()
        for _ in range(3):  # the first copy answers on, alone
            ask_one(double, chats, asked)
        double.wait_idle(0.5)
        assert first.stop() == exitcodes.OK
    assert set(answered_once(double, asked).values()) == {1}, "a question was answered twice or not at all"
    assert "gives way" in second.text() and "gives way" not in first.text()
    for copy in (first, second):
        lines = [line for line in copy.text().splitlines() if "another copy of this bot" in line.lower()]
        assert len(lines) <= 2 and "Traceback" not in copy.text(), copy.text()


def first_to_exit(copies: list[BotProcess], within: float) -> BotProcess:
    """Wait until one of ``copies`` exits (AssertionError after ``within`` seconds); that one."""
    deadline = time.monotonic() + within
    while not (gone := [c for c in copies if c.proc.poll() is not None]):
        assert time.monotonic() < deadline, "no copy gave way"
        time.sleep(0.05)
    return gone[0]


def test_two_copies_started_together_settle_on_one_that_keeps_serving(double, tmp_path):
    asked: list[int] = []
    chats = itertools.count(1151)
    grace = {"KYR_CONFLICT_GRACE": DEFAULT_GRACE}  # both young when they meet
    with running_bot(double, tmp_path / "a", **grace) as one, running_bot(double, tmp_path / "b", **grace) as other:
        gone = first_to_exit([one, other], within=60)
        serving = other if gone is one else one
        assert gone.proc.returncode == exitcodes.ANOTHER_COPY, gone.text()
        for _ in range(3):  # the other copy keeps serving, alone
            ask_one(double, chats, asked)
        double.wait_idle(0.5)
        assert serving.stop() == exitcodes.OK, serving.text()
    assert set(answered_once(double, asked).values()) == {1}
    assert "gives way" in gone.text() and "gives way" not in serving.text()
