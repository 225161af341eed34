"""Flood protection end to end: the real python-telegram-bot Application (through BotHarness) against the
Bot API double. One note past a burst, the newest message answered after it, other users unaffected."""

from __future__ import annotations

from bot.core.flood import FloodGuard
from testkit.harness import BotHarness, assert_all_calls_ok, replies_to, text_of

SLOW_DOWN = "sending messages very fast"


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


async def test_the_note_comes_before_the_held_answer_even_when_telegram_makes_it_wait(double, tmp_path):
    # Telegram answers "429, retry after 3 s" during a flood: the held answer still comes after the note.
    guard = FloodGuard(burst=1)
    chat = 3604
    double.push_update(double.make_text_message(chat, "hello", language_code="en"))
    async with BotHarness(double, tmp_path, flood=guard) as bot:
        await bot.wait_for("sendMessage", 1, predicate=lambda c: c.params["chat_id"] == chat)
        double.rate_limit_next("sendMessage", retry_after=3, chat_id=chat)
        double.push_update(double.make_text_message(chat, "what is an ice detainer", language_code="en"))
        await bot.wait_for("sendMessage", 4, predicate=lambda c: c.params["chat_id"] == chat, timeout=20)
        await bot.idle(0.5)
    delivered = [text_of(c) for c in replies_to(double, chat) if c.ok]
    assert len(delivered) == 3, delivered
    assert SLOW_DOWN in delivered[1]
    assert "What is an ICE detainer?" in delivered[2]
