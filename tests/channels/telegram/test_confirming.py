"""Confirming to Telegram only what was handled, with the real Application against the Bot API double:
a slow answer is not confirmed until it is sent (and nobody else waits for it); and the ledger that keeps
count, across a restart too (the kill itself: tests/e2e/test_telegram_failures.py)."""

from __future__ import annotations

from bot.channels.telegram.ledger import UpdateLedger
from bot.runtime.storage import SqliteStore
from testkit.botapi_double import BotApiDouble
from testkit.harness import BotHarness, knowledge, text_of

QUESTION = "what is an ice detainer"


def ask(double: BotApiDouble, chat: int, text: str = QUESTION) -> int:
    return double.push_update(double.make_text_message(chat, text, language_code="en"))


async def answered(bot: BotHarness, chat: int) -> str:
    calls = await bot.double.async_wait_for(
        "sendMessage", 1, 10, lambda c: c.params["chat_id"] == chat and c.ok, answered=True
    )
    return text_of(calls[0])


def title() -> str:
    return knowledge().entries["detainer-basics"].text("en").title


async def test_an_answer_on_its_way_is_not_confirmed_until_sent_and_nobody_waits_for_it(double, tmp_path):
    double.hold_next("sendMessage")  # the first answer is on its way, and stays there
    async with BotHarness(double, tmp_path) as bot:
        slow = ask(double, 2101)
        await double.async_wait_for("sendMessage", 1)
        for chat in (2102, 2103):  # everyone else is answered meanwhile
            ask(double, chat)
            assert title() in await answered(bot, chat)
        polls = len(double.calls_of("getUpdates"))
        await double.async_wait_for("getUpdates", polls + 1)
        assert double.confirmed_offset <= slow, "an update was confirmed to Telegram before it was answered"
        double.release_held("answer")
        assert title() in await answered(bot, 2101)
        await double.async_wait_for("getUpdates", predicate=lambda c: c.params.get("offset", 0) > slow)
    assert double.confirmed_offset > slow
    sent = [c.params["chat_id"] for c in double.calls_of("sendMessage")]
    assert sent.count(2101) == 1 and sent.count(2102) == 1


def test_an_update_handled_before_a_crash_is_skipped_by_the_next_process(tmp_path):
    # The first process handles update 880000 and dies before Telegram hears of it (a kill).
    store = SqliteStore(tmp_path)
    first = UpdateLedger(store)
    assert first.claim([880_000, 880_001]) == [880_000, 880_001]
    first.done(880_000)  # answered; 880001 was still on its way
    store.close()
    # The next process is given both again: it answers only the one not answered.
    store = SqliteStore(tmp_path)
    assert UpdateLedger(store).claim([880_000, 880_001]) == [880_001]
    store.close()


def test_the_ledger_claims_each_update_once_and_holds_it_until_all_its_work_is_done():
    now = [0.0]
    ledger = UpdateLedger(clock=lambda: now[0])
    assert ledger.claim([5, 6, 6, 7]) == [5, 6, 7]  # twice in one batch: once
    assert ledger.claim([5, 6, 8]) == [8]  # delivered again while in flight: not again
    ledger.keep(6)  # update 6 holds back an answer
    ledger.done(6)
    assert ledger.oldest_in_flight(claimed_after=-1, above=0) == 5
    for update_id in (5, 7, 8):
        ledger.done(update_id)
    assert ledger.oldest_in_flight(claimed_after=-1, above=0) == 6, "the held-back answer is not yet sent"
    ledger.done(6)
    assert ledger.oldest_in_flight(claimed_after=-1, above=0) is None
    assert ledger.claim([5, 6, 7, 8, 9]) == [9]  # handled ones come again: skipped
    now[0] = 100.0
    assert ledger.oldest_in_flight(claimed_after=50.0, above=0) is None, "an update held too long holds nobody back"
