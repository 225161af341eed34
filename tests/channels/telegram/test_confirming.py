"""Confirming to Telegram only what was handled, with the real Application against the Bot API double:
a slow answer is not confirmed until it is sent (and nobody else waits for it); and the ledger that keeps
count, across a restart too (the kill itself: tests/e2e/test_telegram_failures.py)."""

from __future__ import annotations

import asyncio

from bot.app import rebuild_conversation
from bot.channels.telegram.ledger import UpdateLedger
from bot.core.flood import FloodGuard
from bot.runtime.config import Config
from bot.runtime.reload import Reloader
from bot.runtime.storage import SqliteStore
from testkit.harness import MODEL_CACHE, BotHarness, answer_to, ask, knowledge, text_of

QUESTION = "what is an ice detainer"


async def answered(bot: BotHarness, chat: int) -> str:
    return text_of(await answer_to(bot.double, chat))


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


async def test_a_question_that_comes_while_another_is_answered_is_fetched_once_that_one_is_done(
    double, tmp_path, monkeypatch
):
    # While an update is being handled, a poll cannot wait for new ones (Telegram gives the held one back at
    # once), so the poller waits between polls; it polls again as soon as the held update is handled, not
    # after the whole wait (made a minute here, so a poller that sits it out fails the test).
    monkeypatch.setattr("bot.channels.telegram.poller.BUSY_REPOLL_SECONDS", 60.0)
    double.hold_next("sendMessage")
    async with BotHarness(double, tmp_path) as bot:
        first = ask(double, 2111)
        await double.async_wait_for("sendMessage", 1)  # the first answer is on its way, and stays there
        # A poll from its id gave it back, with nothing new: the poller now waits.
        await double.async_wait_for("getUpdates", predicate=lambda c: c.params.get("offset") == first)
        await asyncio.sleep(0.3)
        ask(double, 2112)
        double.release_held("answer")
        assert title() in await answered(bot, 2111)
        assert title() in await answered(bot, 2112)  # within 10 s, not after the minute


async def test_a_message_held_back_by_flood_protection_is_answered_after_a_reload(double, tmp_path):
    # Four messages at once: two answered, the third told to slow down, the newest held back to be answered
    # once the sender is quiet. A reload (SIGHUP) meanwhile swaps in a new conversation: the held message
    # is still answered, and only then counted as handled.
    async with BotHarness(double, tmp_path, flood=FloodGuard(burst=2, window=10.0)) as bot:
        front = bot.telegram.front
        ids = [
            double.push_update(double.make_text_message(2121, f"{QUESTION} {i}", language_code="en")) for i in range(4)
        ]
        await bot.wait_for("sendMessage", 3)
        for _ in range(100):  # the newest message comes after the others (the chat's order)
            if len(front.conversation.holds):
                break
            await asyncio.sleep(0.02)
        assert len(front.conversation.holds) == 1, "the newest message is held back"
        config = Config(token=double.token, api_url=double.base_url, data_dir=tmp_path / "data", model_dir=MODEL_CACHE)
        assert await Reloader(lambda old: rebuild_conversation(config, old), front).reload()
        calls = await bot.wait_for("sendMessage", 4, predicate=lambda c: c.params["chat_id"] == 2121)
        assert title() in text_of(calls[-1])
        for _ in range(100):  # handled once the send has returned
            if bot.telegram.ledger.handled(ids[-1]):
                break
            await asyncio.sleep(0.02)
        assert bot.telegram.ledger.handled(ids[-1])


async def test_the_last_confirmation_at_a_stop_leaves_an_update_still_waiting_however_long_it_waited():
    # An answer waiting out Telegram's flood waits for over a minute stops holding back the others while the
    # bot runs; at a stop it is cut short, so the last confirmation must not pass it: the next start answers it.
    from types import SimpleNamespace

    from bot.channels.telegram.intake import Intake
    from bot.channels.telegram.poller import HOLD_SECONDS, Poller
    from bot.channels.telegram.polling import ConflictGuard

    now = [1000.0]
    ledger = UpdateLedger(clock=lambda: now[0])
    posted: list[str] = []

    class Request:
        read_timeout = 5.0

        async def post(self, url: str, read_timeout: float) -> list:
            posted.append(url)
            return []

    app = SimpleNamespace(bot=SimpleNamespace(base_url="https://api.example/botTOKEN"))
    poller = Poller(app, Request(), Intake(app, ledger, ["message"]), ConflictGuard(0), timeout=1, allowed=["message"])
    assert ledger.claim([500, 501]) == [500, 501]
    poller.highest, poller._offset = 501, 500  # both fetched; the last poll asked from 500
    ledger.done(501)
    now[0] += HOLD_SECONDS + 5  # 500 has waited for over a minute
    await poller.confirm()
    assert posted and "offset=500&" in posted[-1], posted


async def test_handled_ids_are_in_the_state_file_before_a_poll_confirms_them(tmp_path):
    # Whatever a poll's offset confirms to Telegram is already in the state file, so a process killed at any
    # moment never answers it twice.
    from types import SimpleNamespace
    from urllib.parse import parse_qs, urlparse

    from bot.channels.telegram.intake import Intake
    from bot.channels.telegram.poller import Poller
    from bot.channels.telegram.polling import ConflictGuard

    store = SqliteStore(tmp_path)
    ledger = UpdateLedger(store)
    seen: list[tuple[int, set[int]]] = []  # (the poll's offset, the handled ids in the file then)

    class Request:
        read_timeout = 5.0

        async def post(self, url: str, read_timeout: float) -> list:
            offset = int(parse_qs(urlparse(url).query)["offset"][0])
            seen.append((offset, store.handled_among(range(700, 710))))
            return []

    app = SimpleNamespace(bot=SimpleNamespace(base_url="https://api.example/botTOKEN"))
    poller = Poller(app, Request(), Intake(app, ledger, ["message"]), ConflictGuard(0), timeout=1, allowed=["message"])
    assert ledger.claim(list(range(700, 705))) == list(range(700, 705))
    poller.highest = 704
    for update_id in (700, 701, 703):
        ledger.done(update_id)
    await poller.poll(0)  # 702 is still on its way: the offset stops there
    ledger.done(702)
    ledger.done(704)
    await poller.confirm()
    assert [offset for offset, _ in seen] == [702, 705]
    before = 700  # each poll confirms the ids from the previous poll's offset up to its own
    for offset, in_file in seen:
        assert set(range(before, offset)) <= in_file, (offset, in_file)
        before = offset
    store.close()
